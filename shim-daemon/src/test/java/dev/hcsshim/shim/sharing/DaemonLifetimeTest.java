package dev.hcsshim.shim.sharing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The leave-or-stay decisions of a daemon, on real lock and lease files in a temp dir. */
class DaemonLifetimeTest {
    @TempDir
    Path dir;

    private final AtomicInteger tasks = new AtomicInteger();
    private final AtomicBoolean unlinked = new AtomicBoolean();
    private final CountDownLatch left = new CountDownLatch(1);

    private DaemonLifetime lifetime(DaemonLeases leases, Duration idle) {
        return new DaemonLifetime(leases, idle, tasks::get, () -> unlinked.set(true), left::countDown);
    }

    @Test
    void aDaemonOfOneTaskLeavesAtOnce() throws Exception {
        lifetime(null, Duration.ZERO).idle();
        assertTrue(left.await(10, TimeUnit.SECONDS));
    }

    @Test
    void aSharedDaemonWithNoLeaseUnlinksItsSocketAndLeaves() throws Exception {
        Path socket = dir.resolve("sock");
        lifetime(new DaemonLeases(socket), Duration.ZERO).idle();
        assertTrue(left.await(10, TimeUnit.SECONDS));
        assertTrue(unlinked.get(), "the socket goes before the lock is let go");
    }

    @Test
    void aStartThatJoinedKeepsTheDaemonUntilItsTaskIsCreated() throws Exception {
        Path socket = dir.resolve("sock");
        DaemonLeases leases = new DaemonLeases(socket);
        assertTrue(leases.joinIfServing("next", () -> true));
        DaemonLifetime lifetime = lifetime(leases, Duration.ZERO);
        lifetime.idle(); // the previous task's Shutdown
        assertFalse(left.await(300, TimeUnit.MILLISECONDS), "the joined start's task is still to come");
        assertFalse(unlinked.get());

        tasks.incrementAndGet();
        lifetime.taskCreated("next");
        tasks.decrementAndGet();
        lifetime.idle(); // that task's own Shutdown
        assertTrue(left.await(10, TimeUnit.SECONDS));
    }

    @Test
    void aStartThatNeverCreatesItsTaskHoldsTheDaemonOnlyUntilTheLeaseExpires() throws Exception {
        Path socket = dir.resolve("sock");
        DaemonLeases leases = new DaemonLeases(socket, Duration.ofSeconds(1));
        assertTrue(leases.joinIfServing("lost", () -> true));
        lifetime(leases, Duration.ZERO).idle();
        assertTrue(left.await(20, TimeUnit.SECONDS), "the expired lease let the daemon go");
        try (var files = Files.list(dir)) {
            assertEquals(0, files.filter(p -> p.getFileName().toString().contains(".lease-")).count(), "expired leases removed");
        }
    }

    @Test
    void aStartAfterTheDaemonLeftDoesNotJoinIt() throws Exception {
        Path socket = dir.resolve("sock");
        Files.createFile(socket);
        DaemonLeases leases = new DaemonLeases(socket);
        new DaemonLifetime(leases, Duration.ZERO, tasks::get, () -> {
            try {
                Files.delete(socket);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, left::countDown).idle();
        assertTrue(left.await(10, TimeUnit.SECONDS));
        assertFalse(leases.joinIfServing("late", () -> Files.exists(socket)), "a socket that is gone is not joined");
        assertFalse(Files.exists(dir.resolve("sock.lease-late")));
    }

    @Test
    void anIdlePeriodKeepsTheDaemonForTheNextTask() throws Exception {
        // an idle period long enough that the next task surely arrives within it, however slow the machine
        DaemonLifetime lifetime = lifetime(new DaemonLeases(dir.resolve("sock")), Duration.ofSeconds(3));
        lifetime.idle();
        tasks.incrementAndGet();
        lifetime.taskCreated("next");
        assertFalse(left.await(4, TimeUnit.SECONDS), "a daemon with a task stays past the idle period");
        tasks.decrementAndGet();
        lifetime.idle();
        assertTrue(left.await(30, TimeUnit.SECONDS), "and leaves once idle long enough");
    }

    @Test
    void leasesOlderThanTheirTimeAreNotCounted() throws Exception {
        Path socket = dir.resolve("sock");
        DaemonLeases leases = new DaemonLeases(socket);
        assertTrue(leases.joinIfServing("old", () -> true));
        Files.setLastModifiedTime(dir.resolve("sock.lease-old"), FileTime.from(Instant.now().minus(Duration.ofMinutes(5))));
        assertTrue(leases.leaveUnlessLeased(() -> true, () -> unlinked.set(true)).isEmpty());
        assertTrue(unlinked.get());
    }
}
