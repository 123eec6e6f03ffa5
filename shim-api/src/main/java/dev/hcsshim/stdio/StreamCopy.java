package dev.hcsshim.stdio;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Copies an InputStream to an OutputStream on its own daemon thread, counting bytes, for
 * {@link CopyAfterExit}. {@link #cancel()} runs the given canceller (closing the source
 * unblocks the read); {@link #done()} completes with the byte count at end-of-stream, or with
 * the error (a failure after cancel is the cancel's doing, see {@link #cancelled()}).
 */
public final class StreamCopy implements CopyAfterExit.Copy {
    /** What cancels a blocked read: typically closing the source. */
    public interface Canceller {
        void cancel() throws IOException;
    }

    private final String name;
    private final Canceller canceller;
    private final AtomicLong copied = new AtomicLong();
    private final CompletableFuture<Long> done = new CompletableFuture<>();
    private volatile boolean cancelled;

    private StreamCopy(String name, Canceller canceller) {
        this.name = name;
        this.canceller = canceller;
    }

    public static StreamCopy start(String name, InputStream from, OutputStream to, Canceller canceller) {
        StreamCopy c = new StreamCopy(name, canceller);
        Thread.ofPlatform().daemon().name("copy-" + name).start(() -> c.run(from, to));
        return c;
    }

    private void run(InputStream from, OutputStream to) {
        byte[] buf = new byte[32 * 1024];
        try {
            for (int n; (n = from.read(buf)) >= 0; ) {
                to.write(buf, 0, n);
                to.flush();
                copied.addAndGet(n);
            }
            done.complete(copied.get());
        } catch (IOException | RuntimeException e) {
            done.completeExceptionally(e);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long bytesCopied() {
        return copied.get();
    }

    @Override
    public CompletableFuture<Long> done() {
        return done;
    }

    public boolean cancelled() {
        return cancelled;
    }

    @Override
    public void cancel() {
        cancelled = true;
        try {
            canceller.cancel();
        } catch (IOException e) {
            done.completeExceptionally(e);
        }
    }
}
