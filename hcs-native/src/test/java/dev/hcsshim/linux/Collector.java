package dev.hcsshim.linux;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/** Test sink: a pipe whose write end is the relay destination and whose read end a thread drains. */
final class Collector implements AutoCloseable {
    final int writeFd;
    private final int readFd;
    final AtomicLong read = new AtomicLong();
    final CompletableFuture<byte[]> bytes = new CompletableFuture<>();
    private final ByteArrayOutputStream keep;
    private final MessageDigest sha;
    private volatile int pauseAt = -1;
    private final Object lock = new Object();
    private long allowance = Long.MAX_VALUE;

    /** keepBytes: retain content; otherwise only a SHA-256 is kept. */
    Collector(boolean keepBytes) throws Exception {
        int[] p = Fds.pipe();
        readFd = p[0];
        writeFd = p[1];
        keep = keepBytes ? new ByteArrayOutputStream() : null;
        sha = MessageDigest.getInstance("SHA-256");
        Thread.ofPlatform().daemon().name("collector").start(this::run);
    }

    /** Limits how many bytes the reader may consume in total (back-pressure tests). */
    void allow(long total) {
        synchronized (lock) {
            allowance = total;
            lock.notifyAll();
        }
    }

    String sha256() {
        return HexFormat.of().formatHex(sha.digest());
    }

    private void run() {
        byte[] buf = new byte[32 * 1024];
        try (InputStream in = FdStreams.input(readFd)) {
            while (true) {
                int max;
                synchronized (lock) {
                    while (read.get() >= allowance) lock.wait();
                    max = (int) Math.min(buf.length, allowance - read.get());
                }
                int n = in.read(buf, 0, max);
                if (n < 0) break;
                sha.update(buf, 0, n);
                if (keep != null) keep.write(buf, 0, n);
                read.addAndGet(n);
            }
            bytes.complete(keep == null ? new byte[0] : keep.toByteArray());
        } catch (IOException | InterruptedException e) {
            bytes.completeExceptionally(e);
        } finally {
            Fds.closeQuietly(readFd);
        }
    }

    /** Closes the write end: the reader sees EOF once the pipe is drained. */
    void closeWriter() {
        Fds.closeQuietly(writeFd);
    }

    @Override
    public void close() {
        closeWriter();
        allow(Long.MAX_VALUE);
    }
}
