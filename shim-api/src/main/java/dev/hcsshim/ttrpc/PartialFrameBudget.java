package dev.hcsshim.ttrpc;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of not-yet-complete frames a server holds across all its connections. A connection
 * charges what has arrived of its current frame and gives it back once the frame is complete or
 * the connection is gone; a charge that would exceed the limit is refused, and the caller
 * refuses that connection. Sized well below the JVM's direct-memory limit, so that peers that
 * announce large frames and stall cannot exhaust it.
 */
public final class PartialFrameBudget {
    private static final long WARN_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
    private final long limit;
    private final AtomicLong used = new AtomicLong();
    private final AtomicLong refusals = new AtomicLong();
    private final AtomicLong lastWarnNanos = new AtomicLong(System.nanoTime() - WARN_INTERVAL_NANOS);

    public PartialFrameBudget(long limit) {
        if (limit < Frame.HEADER_LENGTH + Frame.MAX_PAYLOAD) {
            throw new IllegalArgumentException("a budget of " + limit + " bytes cannot hold one maximum-size frame");
        }
        this.limit = limit;
    }

    /**
     * A quarter of the direct memory the JVM may reserve (where received bytes live), and never
     * less than two maximum-size frames.
     */
    public static PartialFrameBudget forThisJvm() {
        long direct = io.netty.util.internal.PlatformDependent.maxDirectMemory();
        return new PartialFrameBudget(Math.max(direct / 4, 2L * (Frame.HEADER_LENGTH + Frame.MAX_PAYLOAD)));
    }

    /** Takes {@code bytes} more, or nothing and false if that would exceed the limit. */
    boolean tryCharge(long bytes) {
        long now;
        do {
            now = used.get();
            if (now + bytes > limit) return false;
        } while (!used.compareAndSet(now, now + bytes));
        return true;
    }

    void release(long bytes) {
        used.addAndGet(-bytes);
    }

    /**
     * Counts a refused connection; returns how many were refused since the last warning if one
     * is due now (at most one a minute, so a flood of peers makes one line, not one per peer),
     * else 0.
     */
    long refusedWarnDue() {
        refusals.incrementAndGet();
        long now = System.nanoTime();
        long last = lastWarnNanos.get();
        if (now - last < WARN_INTERVAL_NANOS || !lastWarnNanos.compareAndSet(last, now)) return 0;
        return refusals.getAndSet(0);
    }

    public long limit() {
        return limit;
    }

    /** Bytes of partial frames held right now. */
    public long used() {
        return used.get();
    }
}
