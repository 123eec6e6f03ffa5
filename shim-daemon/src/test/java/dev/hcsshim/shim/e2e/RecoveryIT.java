package dev.hcsshim.shim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.fixtures.PrivateContainerd.CtrResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What containerd survives, the shim survives: a containerd restart, and a SIGKILLed shim is cleaned up. */
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
                () -> ProcessHandle.of(initPid).map(p -> !p.isAlive() || ShimHarness.isZombie(initPid)).orElse(true));
        ShimHarness.await("runc state to be removed", Duration.ofSeconds(30), () -> !Files.exists(runcState));
        ShimHarness.await("no stale shim sockets", Duration.ofSeconds(30), h::onlyLiveSockets);
        h.ctr("container", "delete", "victim").requireOk();
    }
}
