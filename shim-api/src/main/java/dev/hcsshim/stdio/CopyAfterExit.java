package dev.hcsshim.stdio;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one rule for a process's output copies once the process has exited (hcsshim's
 * CopyAfterExitTimeout, applied per stream and to idleness): output that keeps flowing is copied
 * to its end, however long that takes; a stream on which nothing arrives for the timeout (a
 * leftover child holds the pipe open and is silent) is cancelled. Used for a task's init and
 * exec processes on Linux, for the diag host exec, and by {@code hcsoci.Cmd} on Windows.
 */
public final class CopyAfterExit {
    private static final Logger LOG = LoggerFactory.getLogger(CopyAfterExit.class);
    /** JVM-wide default timeout: an ISO-8601 duration ({@code PT5S}) or milliseconds. */
    public static final String TIMEOUT_PROPERTY = "hcsshim.copyAfterExitTimeout";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("copy-after-exit").daemon().factory());

    /** One stream's copy as the rule sees it. */
    public interface Copy {
        String name();

        /** Bytes copied so far: progress is any change. */
        long bytesCopied();

        /** Completes, normally or not, when the copy has ended. */
        CompletableFuture<?> done();

        /** Ends the copy soon; what has not been copied yet is dropped. */
        void cancel();
    }

    private CopyAfterExit() {}

    /** {@value #TIMEOUT_PROPERTY} if set and valid, else {@link #DEFAULT_TIMEOUT}. */
    public static Duration defaultTimeout() {
        String v = System.getProperty(TIMEOUT_PROPERTY, "").trim();
        if (v.isEmpty()) return DEFAULT_TIMEOUT;
        try {
            return v.chars().allMatch(Character::isDigit) ? Duration.ofMillis(Long.parseLong(v)) : Duration.parse(v);
        } catch (DateTimeParseException | NumberFormatException e) {
            LOG.warn("ignoring {}={}: not a duration; using {}", TIMEOUT_PROPERTY, v, DEFAULT_TIMEOUT);
            return DEFAULT_TIMEOUT;
        }
    }

    /**
     * Call once the process has exited. Completes when every copy has ended; a copy that makes
     * no progress for {@code idleTimeout} is cancelled first. A zero or negative timeout waits
     * for the copies however long they stay idle.
     */
    public static CompletableFuture<Void> drain(Collection<? extends Copy> copies, Duration idleTimeout) {
        CompletableFuture<?>[] ends = copies.stream().map(c -> c.done().handle((v, e) -> null)).toArray(CompletableFuture[]::new);
        if (idleTimeout.isPositive()) {
            for (Copy c : copies) {
                new IdleWatch(c, idleTimeout).schedule();
            }
        }
        return CompletableFuture.allOf(ends);
    }

    /** Looks at one copy a few times per timeout and cancels it once it was idle for the whole timeout. */
    private static final class IdleWatch {
        private final Copy copy;
        private final long timeoutNanos;
        private final long periodNanos;
        private long lastCount;
        private long lastChange = System.nanoTime();

        IdleWatch(Copy copy, Duration timeout) {
            this.copy = copy;
            this.timeoutNanos = timeout.toNanos();
            this.periodNanos = Math.max(timeoutNanos / 4, TimeUnit.MILLISECONDS.toNanos(5));
            this.lastCount = copy.bytesCopied();
        }

        void schedule() {
            if (!copy.done().isDone()) TIMER.schedule(this::check, periodNanos, TimeUnit.NANOSECONDS);
        }

        private void check() {
            if (copy.done().isDone()) return;
            long now = System.nanoTime();
            long count = copy.bytesCopied();
            if (count != lastCount) {
                lastCount = count;
                lastChange = now;
            } else if (now - lastChange >= timeoutNanos) {
                LOG.warn("{}: nothing written for {} ms after the process exited; closing the stream",
                        copy.name(), TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
                copy.cancel();
                return;
            }
            schedule();
        }
    }
}
