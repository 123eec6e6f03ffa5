package dev.hcsshim.shim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.fixtures.PrivateContainerd;
import dev.hcsshim.fixtures.PrivateContainerd.CtrResult;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Detached tasks: kill/delete, exec, ps, pause/resume, metrics, update, checkpoint, events. */
class TaskLifecycleIT {
    static ShimHarness h;

    @BeforeAll
    static void up() throws IOException {
        h = ShimHarness.start("lifecycle-it");
    }

    @AfterAll
    static void down() throws IOException {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void detachedRunThenKillAndDelete() {
        h.runDetached("detached", "/bin/sleep", "1000").requireOk();
        assertEquals("RUNNING", h.taskStatus("detached").orElseThrow());
        h.ctr("task", "kill", "-s", "9", "detached").requireOk();
        h.awaitStatus("detached", "STOPPED");
        CtrResult del = h.ctr("task", "delete", "detached").requireOk();
        assertTrue(del.stdout().contains("137") || del.stdout().isBlank(), del.stdout());
        assertTrue(h.taskStatus("detached").isEmpty());
        h.ctr("container", "delete", "detached").requireOk();
    }

    @Test
    void deleteOfARunningTaskIsRefused() {
        h.runDetached("busy", "/bin/sleep", "1000").requireOk();
        CtrResult del = h.ctr("task", "delete", "busy");
        assertNotEquals(0, del.exitCode());
        assertEquals("RUNNING", h.taskStatus("busy").orElseThrow());
        h.remove("busy");
    }

    @Test
    void execHasItsOwnExitCodeAndOutput() {
        h.runDetached("exec-host", "/bin/sleep", "1000").requireOk();
        CtrResult ok = h.ctr("task", "exec", "--exec-id", "e-ok", "exec-host", "/bin/echo", "from-exec").requireOk();
        assertEquals("from-exec\n", ok.stdout());
        CtrResult five = h.ctr("task", "exec", "--exec-id", "e-five", "exec-host", "/bin/sh", "-c", "exit 5");
        assertEquals(5, five.exitCode(), five.stderr());
        // The exec ended; the task goes on.
        assertEquals("RUNNING", h.taskStatus("exec-host").orElseThrow());
        h.remove("exec-host");
    }

    @Test
    void duplicateExecIdIsRefused() {
        h.runDetached("dup", "/bin/sleep", "1000").requireOk();
        h.ctr("task", "exec", "-d", "--exec-id", "same", "dup", "/bin/sleep", "1000").requireOk();
        CtrResult again = h.ctr("task", "exec", "-d", "--exec-id", "same", "dup", "/bin/sleep", "1000");
        assertNotEquals(0, again.exitCode());
        assertTrue(again.stderr().contains("already exists"), again.stderr());
        h.remove("dup");
    }

    @Test
    void taskPsListsInitAndExecs() {
        h.runDetached("ps", "/bin/sleep", "1000").requireOk();
        int init = h.taskPid("ps");
        h.ctr("task", "exec", "-d", "--exec-id", "ps-exec", "ps", "/bin/sleep", "1000").requireOk();
        ShimHarness.await("two processes in ps", Duration.ofSeconds(30),
                () -> h.ctr("task", "ps", "ps").requireOk().stdout().lines().skip(1).filter(l -> !l.isBlank()).count() == 2);
        CtrResult ps = h.ctr("task", "ps", "ps").requireOk();
        assertTrue(ps.stdout().contains(Integer.toString(init)), ps.stdout());
        assertTrue(ps.stdout().contains("ps-exec"), "the exec is named in its ProcessDetails:\n" + ps.stdout());
        h.remove("ps");
    }

    @Test
    void pauseAndResume() {
        h.runDetached("pause", "/bin/sleep", "1000").requireOk();
        h.ctr("task", "pause", "pause").requireOk();
        assertEquals("PAUSED", h.taskStatus("pause").orElseThrow());
        CtrResult twice = h.ctr("task", "pause", "pause");
        assertNotEquals(0, twice.exitCode(), "pausing a paused task is refused");
        h.ctr("task", "resume", "pause").requireOk();
        assertEquals("RUNNING", h.taskStatus("pause").orElseThrow());
        h.remove("pause");
    }

    @Test
    void metrics() {
        h.runDetached("metrics", "/bin/sleep", "1000").requireOk();
        CtrResult m = h.ctr("task", "metrics", "metrics").requireOk();
        assertTrue(m.stdout().contains("memory.usage_in_bytes"), m.stdout());
        assertTrue(m.stdout().contains("pids.current"), m.stdout());
        h.remove("metrics");
    }

    @Test
    void checkpointWorksOrSaysWhyNot() {
        h.runDetached("ckpt", "/bin/sleep", "1000").requireOk();
        CtrResult c = h.ctr("task", "checkpoint", "ckpt");
        if (c.exitCode() != 0) {
            // criu cannot checkpoint on every kernel; then the answer must be a clear precondition failure.
            assertTrue(c.stderr().contains("failed precondition"), c.stderr());
            assertTrue(c.stderr().contains("checkpoint"), c.stderr());
            assertEquals("RUNNING", h.taskStatus("ckpt").orElseThrow());
        }
        h.remove("ckpt");
    }

    @Test
    void eventsArriveInContainerdsOrder() throws IOException {
        try (PrivateContainerd.Events events = h.containerd.startEvents()) {
            h.runDetached("ev", "/bin/sleep", "1000").requireOk();
            h.ctr("task", "exec", "--exec-id", "ev-exec", "ev", "/bin/true").requireOk();
            h.ctr("task", "pause", "ev").requireOk();
            h.ctr("task", "resume", "ev").requireOk();
            h.ctr("task", "kill", "-s", "9", "ev").requireOk();
            h.awaitStatus("ev", "STOPPED");
            h.ctr("task", "delete", "ev").requireOk();
            events.awaitLine(l -> l.contains("/tasks/delete") && l.contains("\"ev\""), Duration.ofSeconds(30));
            List<String> topics = events.lines().stream()
                    .filter(l -> l.contains("/tasks/") && l.contains("\"ev\""))
                    .map(l -> l.replaceAll(".*(/tasks/[a-z-]+).*", "$1"))
                    .toList();
            assertEquals(List.of("/tasks/create", "/tasks/start", "/tasks/exec-added", "/tasks/exec-started",
                    "/tasks/exit", "/tasks/paused", "/tasks/resumed", "/tasks/exit", "/tasks/delete"), topics);
        }
        h.ctr("container", "delete", "ev");
    }
}
