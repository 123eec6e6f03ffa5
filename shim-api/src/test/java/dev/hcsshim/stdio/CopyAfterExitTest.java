package dev.hcsshim.stdio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CopyAfterExitTest {
    @AfterEach
    void clearProperty() {
        System.clearProperty(CopyAfterExit.TIMEOUT_PROPERTY);
    }

    @Test
    void timeoutComesFromTheSystemPropertyAsDurationOrMillis() {
        assertEquals(CopyAfterExit.DEFAULT_TIMEOUT, CopyAfterExit.defaultTimeout());
        System.setProperty(CopyAfterExit.TIMEOUT_PROPERTY, "PT5S");
        assertEquals(Duration.ofSeconds(5), CopyAfterExit.defaultTimeout());
        System.setProperty(CopyAfterExit.TIMEOUT_PROPERTY, "750");
        assertEquals(Duration.ofMillis(750), CopyAfterExit.defaultTimeout());
        System.setProperty(CopyAfterExit.TIMEOUT_PROPERTY, "soon");
        assertEquals(CopyAfterExit.DEFAULT_TIMEOUT, CopyAfterExit.defaultTimeout());
    }

    /** A copy that never ends by itself and never moves. */
    private static final class StuckCopy implements CopyAfterExit.Copy {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final AtomicBoolean cancelled = new AtomicBoolean();

        @Override public String name() { return "stuck"; }
        @Override public long bytesCopied() { return 0; }
        @Override public CompletableFuture<Void> done() { return done; }
        @Override public void cancel() { cancelled.set(true); done.cancel(false); }
    }

    @Test
    void anIdleCopyIsCancelledAndAZeroTimeoutWaits() throws Exception {
        StuckCopy idle = new StuckCopy();
        CopyAfterExit.drain(List.of(idle), Duration.ofMillis(100)).get(30, TimeUnit.SECONDS);
        assertTrue(idle.cancelled.get());

        StuckCopy waited = new StuckCopy();
        CompletableFuture<Void> drained = CopyAfterExit.drain(List.of(waited), Duration.ZERO);
        assertFalse(drained.isDone());
        waited.done.complete(null); // ends by itself: only then is it drained
        drained.get(30, TimeUnit.SECONDS);
        assertFalse(waited.cancelled.get());
    }
}
