package dev.hcsshim.shim.sharing;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When a daemon leaves: once it serves no task, after the operator's idle period, and (for a
 * shared daemon) only when no {@code start} has chosen it meanwhile ({@link DaemonLeases}). A
 * daemon of one task leaves as soon as containerd's Shutdown finds it empty, as runc's shim does.
 */
public final class DaemonLifetime {
    private static final Logger log = LoggerFactory.getLogger(DaemonLifetime.class);

    private final DaemonLeases leases;
    private final Duration idleExit;
    private final IntSupplier taskCount;
    private final Runnable unlinkSocket;
    private final Runnable leave;
    private ScheduledExecutorService timer;
    private ScheduledFuture<?> pending;
    private boolean left;

    /**
     * @param leases the shared daemon's leases, or null for a daemon of one task
     * @param unlinkSocket makes the endpoint refuse new connections (called under the lease lock)
     * @param leave stops serving and ends the process
     */
    public DaemonLifetime(DaemonLeases leases, Duration idleExit, IntSupplier taskCount, Runnable unlinkSocket, Runnable leave) {
        this.leases = leases;
        this.idleExit = idleExit;
        this.taskCount = taskCount;
        this.unlinkSocket = unlinkSocket;
        this.leave = leave;
    }

    /** Task {@code id} was created here: its lease is spent and the daemon is not idle. */
    public synchronized void taskCreated(String id) {
        if (leases != null) {
            leases.release(id);
        }
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
    }

    /** containerd's Shutdown found no task: leave now, or after the idle period. */
    public synchronized void idle() {
        if (idleExit.isZero()) {
            decide();
        } else {
            schedule(Instant.now().plus(idleExit));
        }
    }

    private synchronized void decide() {
        pending = null;
        if (left || taskCount.getAsInt() > 0) {
            return;
        }
        Optional<Instant> again = Optional.empty();
        if (leases != null) {
            try {
                again = leases.leaveUnlessLeased(() -> taskCount.getAsInt() == 0, unlinkSocket);
            } catch (IOException e) {
                log.warn("cannot decide whether to leave ({}); staying", e.getMessage());
                again = Optional.of(Instant.now().plus(DaemonLeases.LEASE_TTL));
            }
        }
        if (again.isPresent()) {
            if (taskCount.getAsInt() == 0) {
                log.debug("staying: a start chose this daemon; deciding again at {}", again.get());
                schedule(again.get());
            }
            return;
        }
        left = true;
        log.info("no task left: exiting");
        Thread.ofPlatform().name("leave").start(leave);
    }

    private void schedule(Instant at) {
        if (timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("idle-exit").unstarted(r));
        }
        if (pending != null) {
            pending.cancel(false);
        }
        long delay = Math.max(0, Duration.between(Instant.now(), at).toMillis());
        pending = timer.schedule(this::decide, delay, TimeUnit.MILLISECONDS);
    }
}
