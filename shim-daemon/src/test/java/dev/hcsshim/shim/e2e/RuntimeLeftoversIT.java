package dev.hcsshim.shim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A daemon killed in the middle of a runtime call leaves nothing behind: the call's files are in
 * the task's call directory (never in /tmp), and containerd's cleanup (our {@code delete}) removes
 * them, the container and the namespace's runc state directory.
 */
class RuntimeLeftoversIT {
    static final String NS = "leftovers-it";
    static ShimHarness h;

    @BeforeAll
    static void up() throws IOException {
        h = ShimHarness.start(NS);
    }

    @AfterAll
    static void down() throws IOException {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void aDaemonKilledDuringARuntimeCallLeavesNoFiles(@TempDir Path tmp) throws Exception {
        Path calls = tmp.resolve("calls.txt");
        Path stuck = tmp.resolve("pause-started");
        // runc, except that pause never returns: the daemon is killed while it waits
        Path runtime = tmp.resolve("stuck-pause-runc");
        Files.writeString(runtime, """
                #!/bin/sh
                echo "$*" >> %s
                case " $* " in *" pause "*) echo $$ > %s.tmp; mv %s.tmp %s; exec sleep 300;; esac
                exec runc "$@"
                """.formatted(calls, stuck, stuck, stuck));
        Files.setPosixFilePermissions(runtime, PosixFilePermissions.fromString("rwx------"));
        h.ctr(h.runArgs(List.of("-d", "--annotation=io.containerd.runhcs.v1.oci-runtime=" + runtime), "stuck",
                "/bin/sleep", "1000")).requireOk();
        Process pause = new ProcessBuilder(h.containerd.ctrCommand("task", "pause", "stuck"))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        ShimHarness.await("the runtime's pause to start", Duration.ofSeconds(60), () -> Files.exists(stuck));
        long stuckPid = Long.parseLong(Files.readString(stuck).trim());
        try {
            List<String> lines = Files.readAllLines(calls);
            String pauseCall = lines.get(lines.size() - 1);
            Path log = Path.of(pauseCall.split(" ")[List.of(pauseCall.split(" ")).indexOf("--log") + 1]);
            assertTrue(Files.exists(log), "the call's log exists while the call runs: " + log);
            assertEquals("runtime-calls", log.getParent().getFileName().toString(), "in the task's call directory: " + log);
            assertEquals("stuck", log.getParent().getParent().getFileName().toString(), "of the task's bundle: " + log);

            List<ProcessHandle> shims = h.liveShims().stream()
                    .filter(p -> p.info().commandLine().orElse("").contains(" -id stuck ")).toList();
            assertEquals(1, shims.size(), "one daemon serves the task");
            shims.get(0).destroyForcibly();

            ShimHarness.await("the task to disappear", Duration.ofSeconds(60), () -> h.taskStatus("stuck").isEmpty());
            ShimHarness.await("the call's files to be removed", Duration.ofSeconds(30), () -> !Files.exists(log.getParent()));
            Path nsRoot = Path.of("/run/containerd/runhcs-runc", NS);
            ShimHarness.await("the namespace's runc state directory to go", Duration.ofSeconds(30), () -> !Files.exists(nsRoot));
            assertTrue(pause.waitFor(60, TimeUnit.SECONDS), "ctr's pause ends with the daemon");
            h.ctr("container", "delete", "stuck").requireOk();
        } finally {
            ProcessHandle.of(stuckPid).ifPresent(ProcessHandle::destroyForcibly);
            pause.destroyForcibly();
        }
    }
}
