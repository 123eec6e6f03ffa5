package dev.hcsshim.shim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.fixtures.PrivateContainerd;
import dev.hcsshim.fixtures.PrivateContainerd.CtrResult;
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
 * What containerd survives, the shim survives: a containerd restart; and a SIGKILLed shim is
 * cleaned up, even one killed in the middle of a runtime call.
 */
class RecoveryIT {
    static final String NS = "recovery-it";
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
    void tasksSurviveAContainerdRestart() throws IOException {
        h.runDetached("survivor", "/bin/sleep", "1000").requireOk();
        int pid = h.taskPid("survivor");
        h.containerd.restart();
        // containerd found the shim again through the bundle's address file.
        assertEquals("RUNNING", h.taskStatus("survivor").orElseThrow());
        assertEquals(pid, h.taskPid("survivor"));
        CtrResult exec = h.ctr("task", "exec", "--exec-id", "after-restart", "survivor", "/bin/echo", "still-here").requireOk();
        assertEquals("still-here\n", exec.stdout());
        h.ctr("task", "kill", "-s", "9", "survivor").requireOk();
        h.awaitStatus("survivor", "STOPPED");
        h.ctr("task", "delete", "survivor").requireOk();
        h.ctr("container", "delete", "survivor").requireOk();
    }

    @Test
    void aShimKilledWithSigkillIsCleanedUp() throws Exception {
        h.runDetached("victim", "/bin/sleep", "1000").requireOk();
        int initPid = h.taskPid("victim");
        List<ProcessHandle> shims = h.liveShims().stream()
                .filter(p -> p.info().commandLine().orElse("").contains(" -id victim "))
                .toList();
        assertEquals(1, shims.size(), "one daemon serves the task");
        ProcessHandle shim = shims.get(0);
        Path runcState = Path.of("/run/containerd/runhcs-runc", NS, "victim");
        assertTrue(Files.isDirectory(runcState), "runc state exists while the task runs");

        shim.destroyForcibly();

        ShimHarness.await("the task to disappear", Duration.ofSeconds(30), () -> h.taskStatus("victim").isEmpty());
        // containerd runs our delete: it removes the runtime state and kills what is left.
        ShimHarness.await("the container's init to be gone", Duration.ofSeconds(30),
                () -> ProcessHandle.of(initPid).map(p -> !p.isAlive() || PrivateContainerd.isZombie(initPid)).orElse(true));
        ShimHarness.await("runc state to be removed", Duration.ofSeconds(30), () -> !Files.exists(runcState));
        // it was the namespace's only container: no empty state directory stays behind
        ShimHarness.await("the namespace's runc state directory to go", Duration.ofSeconds(30), () -> !Files.exists(runcState.getParent()));
        ShimHarness.await("no stale shim sockets", Duration.ofSeconds(30), h::onlyLiveSockets);
        h.ctr("container", "delete", "victim").requireOk();
    }

    /**
     * The call's log is a file in memory, held by the runtime as a descriptor (never a file in /tmp
     * or the bundle), and containerd's cleanup (our {@code delete}) removes the container and the
     * namespace's runc state directory.
     */
    @Test
    void aShimKilledDuringARuntimeCallLeavesNoFiles(@TempDir Path tmp) throws Exception {
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
            String log = pauseCall.split(" ")[List.of(pauseCall.split(" ")).indexOf("--log") + 1];
            assertEquals("/proc/self/fd/3", log, "the runtime's log is its descriptor 3: " + pauseCall);
            assertEquals("/memfd:runtime-log (deleted)", Files.readSymbolicLink(Path.of("/proc/" + stuckPid + "/fd/3")).toString(),
                    "a file in memory, while the call runs");

            List<ProcessHandle> shims = h.liveShims().stream()
                    .filter(p -> p.info().commandLine().orElse("").contains(" -id stuck ")).toList();
            assertEquals(1, shims.size(), "one daemon serves the task");
            shims.get(0).destroyForcibly();

            ShimHarness.await("the task to disappear", Duration.ofSeconds(60), () -> h.taskStatus("stuck").isEmpty());
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
