package dev.hcsshim.linux;

import static dev.hcsshim.linux.LinuxTestSupport.await;
import static dev.hcsshim.linux.LinuxTestSupport.procState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.process.ExitStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exits of re-parented processes, zombies watched late, and the orphan sweeper. */
@SuppressWarnings("try") // guards are released early on purpose
class LinuxExitWatcherTest {
    private final ExitWatcher watcher = ExitWatcher.shared();

    /** Runs sh -c script through the watcher, waits for sh, returns the first line it printed (a pid). */
    private int orphanPid(String script) throws Exception {
        Process sh = watcher.spawn(new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true));
        String out = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(sh.waitFor(10, TimeUnit.SECONDS));
        return Integer.parseInt(out.lines().findFirst().orElseThrow());
    }

    @Test
    void reportsExitCodeOfReparentedProcess() throws Exception {
        int pid;
        try (ExitWatcher.Guard g = watcher.guard()) {
            // the orphan closes stdout so that readAllBytes returns at once
            pid = gatedOrphan("exit 0");
            var exit = watcher.watch(pid);
            release();
            g.close();
            ExitStatus st = exit.get(10, TimeUnit.SECONDS);
            assertEquals(0, st.status());
            assertFalse(st.signaled());
        }
    }

    /** A re-parented sleep, watched. */
    private record Sleeper(int pid, java.util.concurrent.CompletableFuture<ExitStatus> exit) {}

    private Sleeper watchedSleeper() throws Exception {
        int pid;
        var g = watcher.guard();
        try {
            pid = orphanPid("sleep 100 >/dev/null 2>&1 & echo $!");
        } catch (Exception e) {
            g.close();
            throw e;
        }
        var exit = watcher.watch(pid);
        g.close();
        return new Sleeper(pid, exit);
    }

    @Test
    void killedProcessReports128PlusSignal() throws Exception {
        Sleeper sleeper = watchedSleeper();
        int pid = sleeper.pid();
        var exit = sleeper.exit();
        LibC.INSTANCE.kill(pid, 9);
        ExitStatus st = exit.get(10, TimeUnit.SECONDS);
        assertEquals(137, st.status());
        assertEquals(9, st.signal());
    }

    @Test
    void signalGoesThroughThePidfdAndIsRefusedOnceReaped() throws Exception {
        Sleeper sleeper = watchedSleeper();
        int pid = sleeper.pid();
        var exit = sleeper.exit();
        assertTrue(watcher.signal(pid, 15), "a live watched process is signalled");
        assertEquals(128 + 15, exit.get(10, TimeUnit.SECONDS).status());
        // Reaped: its pid may belong to someone else by now, so it is never signalled again.
        assertFalse(watcher.signal(pid, 9));
        assertFalse(watcher.signal(pid, 0));
    }

    @org.junit.jupiter.api.RepeatedTest(5)
    void zombieWatchedLateIsStillReported() throws Exception {
        try (ExitWatcher.Guard g = watcher.guard()) {
            int pid = gatedOrphan("exit 7");
            release();
            await("orphan to become our zombie", Duration.ofSeconds(10), () -> procState(pid) == 'Z');
            var exit = watcher.watch(pid);
            g.close();
            assertEquals(7, exit.get(10, TimeUnit.SECONDS).status());
            assertEquals(0, procState(pid), "reaped");
        }
    }

    @Test
    void sweeperReapsUnwatchedOrphans() throws Exception {
        long before = watcher.orphansReaped();
        int pid = gatedOrphan("exit 3");
        release();
        watcher.sweepNow();
        await("sweeper to reap " + pid, Duration.ofSeconds(10), () -> procState(pid) == 0);
        assertTrue(watcher.orphansReaped() > before);
    }

    @TempDir
    Path tmp;

    /**
     * An orphan that runs {@code then} only after {@link #release()}: by then its shell is gone, so
     * it exits as our child (a shell may reap a background job that ends while it still runs).
     */
    private int gatedOrphan(String then) throws Exception {
        return gatedOrphan("gate", then);
    }

    private int gatedOrphan(String gate, String then) throws Exception {
        Path fifo = tmp.resolve(gate);
        Fds.mkfifo(fifo.toString(), 0600);
        return orphanPid("(read x < " + fifo + "; " + then + ") >/dev/null 2>&1 & echo $!");
    }

    private void release() throws IOException {
        release("gate");
    }

    private void release(String gate) throws IOException {
        try (var os = Files.newOutputStream(tmp.resolve(gate))) {
            os.write('\n');
        }
    }

    @Test
    void anOrphanExitingBesideAWatchedProcessIsReapedToo() throws Exception {
        long before = watcher.orphansReaped();
        int orphan;
        java.util.concurrent.CompletableFuture<ExitStatus> exit;
        try (ExitWatcher.Guard g = watcher.guard()) {
            // the watched process is the older child: a sweep meets its zombie first, leaves it
            // to the pidfd, and must still come back for the orphan
            exit = watcher.watch(gatedOrphan("watched", "exit 4"));
            orphan = gatedOrphan("orphan", "exit 5");
        }
        release("orphan");
        release("watched");
        assertEquals(4, exit.get(10, TimeUnit.SECONDS).status());
        int pid = orphan;
        await("sweeper to reap the orphan " + pid, Duration.ofSeconds(10), () -> procState(pid) == 0);
        assertTrue(watcher.orphansReaped() > before);
    }

    @Test
    void sweeperLeavesJvmChildrenToTheJvm() throws Exception {
        // many short JVM children while the sweeper runs: every exit value must survive
        for (int i = 0; i < 20; i++) {
            Process p = watcher.spawn(new ProcessBuilder("/bin/sh", "-c", "exit " + (i % 5 + 1)));
            watcher.sweepNow();
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            assertEquals(i % 5 + 1, p.exitValue());
        }
    }

    @Test
    void zombiesAreFoundAmongTheChildrenOfOurThreads() throws Exception {
        int pid;
        try (ExitWatcher.Guard g = watcher.guard()) { // no sweep meanwhile: the zombie stays ours
            pid = Spawn.start(List.of("/bin/true"), Path.of("/"), -1, -1, -1, false);
            int child = pid;
            await("child " + pid + " to become a zombie", Duration.ofSeconds(10), () -> procState(child) == 'Z');
            List<Integer> children = ExitWatcher.childrenOfOurThreads();
            assertTrue(children != null && children.contains(pid), "children of our threads: " + children);
            assertEquals(List.of(pid), ExitWatcher.zombieChildren().stream().filter(z -> z == child).toList());
        }
        assertEquals(0, Spawn.waitFor(pid, 10_000).status());
        assertFalse(ExitWatcher.zombieChildren().contains(pid));
    }

    @Test
    void watchingANonChildFails() {
        // pid 1 is not our child: waitid(P_PIDFD) says ECHILD once it... never exits, so use a sibling
        var f = watcher.watch(Integer.MAX_VALUE - 1);
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> f.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof IOException);
    }
}
