package dev.hcsshim.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import dev.hcsshim.stdio.CopyAfterExit;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Copies one file descriptor to another until end-of-file on the source, with {@code splice(2)}
 * (zero copy; one side must be a pipe) and a fallback to read/write through one reusable 64 KiB
 * native buffer when the pair cannot splice (EINVAL, e.g. an O_APPEND log file). Every relay of
 * the process runs on the one {@link RelayLoop} thread: a relay moves bytes while both sides are
 * ready and otherwise waits in epoll for the side that blocked it.
 *
 * <p>Back-pressure: nothing is buffered beyond the kernel pipes; when the destination is full the
 * relay waits for it to drain, so a slow reader slows the writer down and memory stays flat. A
 * stalled relay does not hold up the others, and a busy one yields after {@value #BURST} bytes.
 *
 * <p>Both fds are switched to O_NONBLOCK and are <b>not</b> closed by the relay: the owner closes
 * them once {@link #done()} completed. A pty master reporting EIO (all slave fds closed) counts as
 * end-of-file.
 *
 * <p>{@link #done()} completes (off the loop thread) with the number of bytes copied at EOF, with
 * {@link java.util.concurrent.CancellationException} after {@link #cancel()}, or with the
 * IOException that stopped the copy (EPIPE when the reader went away).
 */
public final class SpliceRelay implements CopyAfterExit.Copy, AutoCloseable {
    private static final LibC C = LibC.INSTANCE;
    private static final int CHUNK = 64 * 1024;
    private static final int SPLICE_LEN = 1 << 20;
    /** Bytes a relay moves before letting the loop serve the others. */
    private static final long BURST = 16L << 20;

    private final String name;
    private final int src;
    private final int dst;
    private final RelayLoop loop;
    private final AtomicLong copied = new AtomicLong();
    private final CompletableFuture<Long> done = new CompletableFuture<>();
    private volatile boolean cancelled;
    private volatile boolean usedFallback;
    // loop thread only:
    private RelayLoop.Interest srcInterest;
    private RelayLoop.Interest dstInterest;
    private boolean finished;
    private boolean splice = true;
    private Memory buf;
    private int bufLen;
    private int bufOff;

    private SpliceRelay(String name, int src, int dst, RelayLoop loop) {
        this.name = name;
        this.src = src;
        this.dst = dst;
        this.loop = loop;
    }

    /** Starts copying src to dst on the process's relay loop. */
    public static SpliceRelay start(String name, int srcFd, int dstFd) throws IOException {
        RelayLoop loop = RelayLoop.shared();
        Fds.setNonBlocking(srcFd, true);
        Fds.setNonBlocking(dstFd, true);
        SpliceRelay r = new SpliceRelay(name, srcFd, dstFd, loop);
        loop.execute(r::begin);
        return r;
    }

    /** Bytes copied so far. */
    @Override
    public long bytesCopied() {
        return copied.get();
    }

    /** Whether the read/write fallback was used instead of splice. */
    public boolean usedFallback() {
        return usedFallback;
    }

    @Override
    public String name() {
        return name;
    }

    /** Completes when the copy ends (see the class comment). */
    @Override
    public CompletableFuture<Long> done() {
        return done;
    }

    /** Stops the copy as soon as possible; idempotent. Data still in the pipes is left there. */
    @Override
    public void cancel() {
        cancelled = true;
        loop.execute(() -> finish(null, null));
    }

    /**
     * Cancels and waits (bounded) for the relay to let go of the fds. After a process exited,
     * {@link CopyAfterExit#drain} decides when to cancel; this is for tearing down.
     */
    @Override
    public void close() {
        if (done.isDone()) return;
        cancel();
        try {
            done.handle((v, t) -> null).get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
            // the loop finishes the relay with its next task
        }
    }

    private void begin() {
        srcInterest = loop.new Interest(src, () -> pump(true));
        dstInterest = loop.new Interest(dst, () -> pump(false));
        pump(false);
    }

    /**
     * Moves bytes until a side blocks, then arms the side to wait for: after EAGAIN, the source
     * unless the source was what just became ready (then the destination is full).
     */
    private void pump(boolean srcJustReady) {
        if (finished) {
            return;
        }
        try {
            long moved = 0;
            while (!cancelled) {
                if (moved >= BURST) {
                    loop.execute(() -> pump(false));
                    return;
                }
                if (splice) {
                    try {
                        long n = C.splice(src, null, dst, null, SPLICE_LEN, LibC.SPLICE_F_MOVE | LibC.SPLICE_F_NONBLOCK);
                        if (n == 0) break; // EOF: every writer closed
                        copied.addAndGet(n);
                        moved += n;
                        srcJustReady = false;
                        continue;
                    } catch (LastErrorException e) {
                        int errno = e.getErrorCode();
                        if (errno == LibC.EAGAIN) {
                            if (srcJustReady) {
                                await(dstInterest, LibC.EPOLLOUT, srcInterest, LibC.EPOLLIN);
                            } else {
                                await(srcInterest, LibC.EPOLLIN, dstInterest, LibC.EPOLLOUT);
                            }
                            return;
                        } else if (errno == LibC.EINVAL) {
                            splice = false;
                            usedFallback = true;
                            buf = new Memory(CHUNK);
                        } else if (errno == LibC.EIO) {
                            break; // pty master after the last slave closed
                        } else if (errno != LibC.EINTR) {
                            throw Fds.io("splice " + name, e);
                        }
                    }
                } else if (bufOff < bufLen) {
                    try {
                        long n = C.write(dst, buf.share(bufOff), bufLen - bufOff);
                        bufOff += (int) n;
                        copied.addAndGet(n);
                        moved += n;
                    } catch (LastErrorException e) {
                        if (e.getErrorCode() == LibC.EAGAIN) {
                            await(dstInterest, LibC.EPOLLOUT, null, 0);
                            return;
                        } else if (e.getErrorCode() != LibC.EINTR) {
                            throw Fds.io("write " + name, e);
                        }
                    }
                } else {
                    try {
                        long n = C.read(src, buf, CHUNK);
                        if (n == 0) break;
                        bufLen = (int) n;
                        bufOff = 0;
                    } catch (LastErrorException e) {
                        if (e.getErrorCode() == LibC.EAGAIN) {
                            await(srcInterest, LibC.EPOLLIN, null, 0);
                            return;
                        } else if (e.getErrorCode() == LibC.EIO) {
                            break;
                        } else if (e.getErrorCode() != LibC.EINTR) {
                            throw Fds.io("read " + name, e);
                        }
                    }
                }
            }
            finish(cancelled ? null : copied.get(), null);
        } catch (IOException | RuntimeException e) {
            finish(null, e);
        }
    }

    /**
     * Waits in the loop for the likely blocker, else for the other side: a side epoll cannot watch
     * (a regular file) is always ready, so the other one is what blocks. Neither: go on at once.
     */
    private void await(RelayLoop.Interest likely, int likelyEvents, RelayLoop.Interest other, int otherEvents)
            throws IOException {
        if (!likely.arm(likelyEvents) && (other == null || !other.arm(otherEvents))) {
            loop.execute(() -> pump(false));
        }
    }

    /**
     * Leaves the loop, then completes {@link #done()}: with the byte count, the error, or (both
     * null) as cancelled. Dependents run on a virtual thread, never on the loop.
     */
    private void finish(Long bytes, Throwable error) {
        if (finished) {
            return;
        }
        finished = true;
        if (srcInterest != null) {
            srcInterest.close();
            dstInterest.close();
        }
        if (buf != null) {
            buf.close();
        }
        Thread.ofVirtual().name("relay-done").start(() -> {
            if (error != null) {
                done.completeExceptionally(error);
            } else if (bytes != null) {
                done.complete(bytes);
            } else {
                done.cancel(false);
            }
        });
    }
}
