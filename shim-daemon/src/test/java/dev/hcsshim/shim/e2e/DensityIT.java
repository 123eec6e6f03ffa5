package dev.hcsshim.shim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.fixtures.PrivateContainerd;
import dev.hcsshim.fixtures.PrivateContainerd.CtrResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Daemons shared by many tasks, under a real containerd: each scope, the race between a daemon
 * leaving after its last task and a start that chose it, a containerd restart with twenty tasks in
 * one daemon, and a SIGKILLed shared daemon.
 */
class DensityIT {
    static final String NS = "density-it";
    static final String SCOPE = "--annotation=io.containerd.runhcs.v1.daemon-scope=";
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

    @AfterEach
    void noDaemonOutlivesItsTasks() throws IOException {
        for (String id : h.ctr("task", "ls", "-q").stdout().lines().filter(l -> !l.isBlank()).toList()) {
            h.remove(id);
        }
        h.ctr("container", "ls", "-q").stdout().lines().filter(l -> !l.isBlank()).forEach(id -> h.ctr("container", "delete", id));
        ShimHarness.await("every daemon to leave after its last task", Duration.ofSeconds(60), () -> h.liveShims().isEmpty());
    }

    private static void runSleeping(String id, String... flags) {
        List<String> f = new ArrayList<>(List.of("-d"));
        f.addAll(List.of(flags));
        h.ctr(h.runArgs(f, id, "/bin/sleep", "100000")).requireOk();
    }

    private static String address(String id) throws IOException {
        return Files.readString(h.containerd.workDir().resolve("state/io.containerd.runtime.v2.task/" + NS + "/" + id + "/address"));
    }

    @Test
    void aNamespaceScopeServesEveryTaskOfTheNamespaceFromOneDaemon() throws IOException {
        for (String id : List.of("ns-a", "ns-b", "ns-c")) {
            runSleeping(id, SCOPE + "namespace");
        }
        assertEquals(address("ns-a"), address("ns-b"));
        assertEquals(address("ns-a"), address("ns-c"));
        assertEquals(1, h.liveShims().size(), "one daemon for the namespace");
        for (String id : List.of("ns-a", "ns-b", "ns-c")) {
            assertEquals(id + "\n", h.ctr("task", "exec", "--exec-id", "hello", id, "/bin/echo", id).requireOk().stdout());
        }
        // A task of its own scope in the same namespace still gets its own daemon.
        runSleeping("loner", SCOPE + "container");
        assertNotEquals(address("ns-a"), address("loner"));
        assertEquals(2, h.liveShims().size());

        h.remove("ns-a");
        h.remove("ns-b");
        assertEquals("RUNNING", h.taskStatus("ns-c").orElseThrow(), "the daemon serves on while a task is left");
        assertEquals("ok\n", h.ctr("task", "exec", "--exec-id", "late", "ns-c", "/bin/echo", "ok").requireOk().stdout());
    }

    @Test
    void aPodsTasksShareTheSandboxsDaemonAndOtherTasksHaveTheirOwn() throws IOException {
        String pod = "--annotation=io.kubernetes.cri.sandbox-id=pod7";
        runSleeping("pod7", pod);
        runSleeping("pod7-app", pod);
        runSleeping("plain-1");
        runSleeping("plain-2");
        assertEquals(address("pod7"), address("pod7-app"));
        assertNotEquals(address("plain-1"), address("plain-2"));
        assertEquals(3, h.liveShims().size(), "the pod's daemon and one for each plain task");
    }

    @Test
    void shortTasksInALoopNeverMeetALeavingDaemon() throws Exception {
        // Each task's Delete leaves its daemon empty, and the next start races its exit. Two loops
        // at once make a start choosing a daemon that is deciding to leave likely.
        ExecutorService loops = Executors.newFixedThreadPool(2);
        try {
            List<Future<List<String>>> results = new ArrayList<>();
            for (String loop : List.of("x", "y")) {
                results.add(loops.submit(() -> {
                    List<String> failures = new ArrayList<>();
                    for (int i = 0; i < 8; i++) {
                        CtrResult r = h.ctr(h.runArgs(List.of("--rm", SCOPE + "namespace"), "race-" + loop + i, "/bin/echo", "done"));
                        if (r.exitCode() != 0 || !r.stdout().equals("done\n")) {
                            failures.add("race-" + loop + i + ": exit " + r.exitCode() + " out " + r.stdout() + " err " + r.stderr());
                        }
                    }
                    return failures;
                }));
            }
            List<String> failures = new ArrayList<>();
            for (Future<List<String>> f : results) {
                failures.addAll(f.get());
            }
            assertEquals(List.of(), failures, "every task of the loop ran");
        } finally {
            loops.shutdownNow();
        }
    }

    @Test
    void containerdRestartReconnectsEveryTaskOfASharedDaemon() throws IOException {
        Map<String, Integer> pids = new HashMap<>();
        for (int i = 0; i < 20; i++) {
            runSleeping("many-" + i, SCOPE + "namespace");
        }
        assertEquals(1, h.liveShims().size());
        for (int i = 0; i < 20; i++) {
            pids.put("many-" + i, h.taskPid("many-" + i));
        }
        h.containerd.restart();
        for (int i = 0; i < 20; i++) {
            String id = "many-" + i;
            assertEquals("RUNNING", h.taskStatus(id).orElseThrow(), id);
            assertEquals(pids.get(id), h.taskPid(id), id);
        }
        assertEquals("back\n", h.ctr("task", "exec", "--exec-id", "e", "many-7", "/bin/echo", "back").requireOk().stdout());
        assertEquals(1, h.liveShims().size(), "still the one daemon");
    }

    @Test
    void aSharedDaemonKilledWithSigkillHasEveryTaskReportedAndCleaned() throws Exception {
        List<String> ids = List.of("k-1", "k-2", "k-3", "k-4");
        for (String id : ids) {
            runSleeping(id, SCOPE + "namespace");
        }
        Map<String, Integer> inits = new HashMap<>();
        for (String id : ids) {
            inits.put(id, h.taskPid(id));
        }
        List<ProcessHandle> shims = h.liveShims();
        assertEquals(1, shims.size());
        shims.getFirst().destroyForcibly();

        for (String id : ids) {
            ShimHarness.await(id + " to disappear", Duration.ofSeconds(30), () -> h.taskStatus(id).isEmpty());
            int pid = inits.get(id);
            ShimHarness.await(id + "'s init to be gone", Duration.ofSeconds(30),
                    () -> ProcessHandle.of(pid).map(p -> !p.isAlive() || PrivateContainerd.isZombie(pid)).orElse(true));
            Path state = Path.of("/run/containerd/runhcs-runc", NS, id);
            ShimHarness.await(id + "'s runtime state to be removed", Duration.ofSeconds(30), () -> !Files.exists(state));
            h.ctr("container", "delete", id).requireOk();
        }
        ShimHarness.await("no stale sockets", Duration.ofSeconds(30), h::onlyLiveSockets);
        assertTrue(ShimHarness.mountsUnder(h.containerd.workDir()).isEmpty(), "no rootfs left mounted");
    }
}
