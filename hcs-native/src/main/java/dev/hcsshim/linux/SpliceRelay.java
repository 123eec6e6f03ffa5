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
 * Copies one file descriptor to another on its own platform thread until end-of-file on the
 * source, with {@code splice(2)} (zero copy; one side must be a pipe) and a fallback to
 * read/write through one reusable 64 KiB native buffer when the pair cannot splice (EINVAL, e.g.
 * an O_APPEND log file).
 *
 * <p>Back-pressure: nothing is buffered beyond the kernel pipes; when the destination is full the
 * relay waits in poll(2), so a slow reader slows the writer down and memory stays flat.
 *
 * <p>Both fds are switched to O_NONBLOCK (so that {@link #cancel()} is always honoured) and are
 * <b>not</b> closed by the relay: the owner closes them once {@link #done()} completed. A pty
 * master reporting EIO (all slave fds closed) counts as end-of-file.
 *
 * <p>{@link #done()} completes with the number of bytes copied at EOF, with
 * {@link java.util.concurrent.CancellationException} after {@link #cancel()}, or with the
 * IOException that stopped the copy (EPIPE when the reader went away).
 */
public final class SpliceRelay implements CopyAfterExit.Copy, AutoCloseable {
    private static final LibC C = LibC.INSTANCE;
    private static final int CHUNK = 64 * 1024;
    private static final int SPLICE_LEN = 1 << 20;

    private final String name;
    private final int src;
    private final int dst;
    private final int cancelFd;
    private final AtomicLong copied = new AtomicLong();
    private final CompletableFuture<Long> done = new CompletableFuture<>();
    private volatile boolean cancelled;
    private volatile boolean usedFallback;

    private SpliceRelay(String name, int src, int dst) throws IOException {
        this.name = name;
        this.src = src;
        this.dst = dst;
        this.cancelFd = Fds.eventfd();
    }

    /** Starts copying src to dst on a new daemon thread named {@code relay-<name>}. */
    public static SpliceRelay start(String name, int srcFd, int dstFd) throws IOException {
        SpliceRelay r = new SpliceRelay(name, srcFd, dstFd);
        try {
            Fds.setNonBlocking(srcFd, true);
            Fds.setNonBlocking(dstFd, true);
        } catch (IOException e) {
            Fds.closeQuietly(r.cancelFd);
            throw e;
        }
        Thread.ofPlatform().daemon().name("relay-" + name).stackSize(256 * 1024).start(r::run);
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
        Fds.signalEventfd(cancelFd);
    }

    /**
     * Cancels and waits (bounded) for the relay thread to let go of the fds. After a process
     * exited, {@link CopyAfterExit#drain} decides when to cancel; this is for tearing down.
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
            // the thread notices the cancel fd at its next poll
        }
    }

    /** Waits until fd is ready (or hung up / in error, which the next call reports) or cancel. */
    private void awaitReady(Memory pfd, int fd, short events) throws IOException {
        while (!cancelled) {
            pfd.setInt(0, fd);
            pfd.setShort(4, events);
            pfd.setShort(6, (short) 0);
            pfd.setShort(14, (short) 0);
            try {
                C.poll(pfd, 2, -1);
            } catch (LastErrorException e) {
                if (e.getErrorCode() != LibC.EINTR) throw Fds.io("poll " + name, e);
            }
            if (pfd.getShort(6) != 0) return;
        }
    }

    private void run() {
        try (Memory pfd = new Memory(16)) {
            pfd.setInt(8, cancelFd);
            pfd.setShort(12, LibC.POLLIN);
            Memory buf = null;
            int bufLen = 0, bufOff = 0;
            boolean splice = true;
            while (true) {
                if (cancelled) {
                    done.cancel(false);
                    return;
                }
                short waitSrc = 0, waitDst = 0;
                if (splice) {
                    try {
                        long n = C.splice(src, null, dst, null, SPLICE_LEN,
                                LibC.SPLICE_F_MOVE | LibC.SPLICE_F_NONBLOCK);
                        if (n == 0) break; // EOF: every writer closed
                        copied.addAndGet(n);
                        continue;
                    } catch (LastErrorException e) {
                        int errno = e.getErrorCode();
                        if (errno == LibC.EAGAIN) {
                            // either side may be the blocker: wait for whichever is ready first
                            waitSrc = LibC.POLLIN;
                            waitDst = LibC.POLLOUT;
                        } else if (errno == LibC.EINVAL) {
                            splice = false;
                            usedFallback = true;
                            buf = new Memory(CHUNK);
                            continue;
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
                        continue;
                    } catch (LastErrorException e) {
                        if (e.getErrorCode() == LibC.EAGAIN) waitDst = LibC.POLLOUT;
                        else if (e.getErrorCode() != LibC.EINTR) throw Fds.io("write " + name, e);
                    }
                } else {
                    try {
                        long n = C.read(src, buf, CHUNK);
                        if (n == 0) break;
                        bufLen = (int) n;
                        bufOff = 0;
                        continue;
                    } catch (LastErrorException e) {
                        if (e.getErrorCode() == LibC.EAGAIN) waitSrc = LibC.POLLIN;
                        else if (e.getErrorCode() == LibC.EIO) break;
                        else if (e.getErrorCode() != LibC.EINTR) throw Fds.io("read " + name, e);
                    }
                }
                // splice needs both sides ready; a pipe is writable once a page is free
                if (waitSrc != 0) awaitReady(pfd, src, LibC.POLLIN);
                if (waitDst != 0) awaitReady(pfd, dst, LibC.POLLOUT);
            }
            done.complete(copied.get());
        } catch (Throwable t) {
            done.completeExceptionally(t);
        } finally {
            Fds.closeQuietly(cancelFd);
        }
    }
}
