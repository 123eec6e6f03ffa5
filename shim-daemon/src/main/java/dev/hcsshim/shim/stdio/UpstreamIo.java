package dev.hcsshim.shim.stdio;

import dev.hcsshim.linux.Fds;
import dev.hcsshim.linux.LibC;
import dev.hcsshim.shim.task.Errdefs;
import dev.hcsshim.shim.task.StdioSpec;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import com.sun.jna.LastErrorException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of one process's stdio on Linux (the counterpart of hcsshim's NpipeIO):
 * FIFOs that containerd's client created, or a {@code file://} log, or a {@code binary://}
 * logging program that reads the output itself; or ends a caller opened already (diag exec).
 *
 * <p>FIFO rules, from containerd's runc shim: the stdin FIFO is read non-blocking and we hold a
 * write end of our own, so the process sees end-of-file only when CloseIO says so (not whenever
 * a client detaches); stdout/stderr FIFOs are opened read-write so a client that goes away
 * leaves a full FIFO (back-pressure) instead of an EPIPE that would lose output.
 */
final class UpstreamIo implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(UpstreamIo.class);
    private static final LibC C = LibC.INSTANCE;
    private static final int O_CLOEXEC = LibC.O_CLOEXEC;
    private static final int O_CREAT = 0x40;
    private static final int O_APPEND = 0x400;

    /** Read end of the stdin FIFO, or -1. */
    int stdinSource = -1;
    /** Our own write end of the stdin FIFO, closed by CloseIO; -1 if none. */
    private int stdinHold = -1;
    /** Where stdout goes (FIFO or file), or -1 (none, or a logging binary reads it). */
    int stdoutSink = -1;
    int stderrSink = -1;
    /** A binary:// logger, which reads the process's pipes directly. */
    private Process logger;

    private UpstreamIo() {}

    /**
     * Opens what {@code spec} names. For a binary:// stdout the logger is given the pipe read
     * ends {@code stdoutPipe}/{@code stderrPipe} as its fds 3 and 4, as containerd's logging
     * binaries expect, and this waits until it signals ready on fd 5.
     */
    static UpstreamIo open(StdioSpec spec, String namespace, String id, int stdoutPipe, int stderrPipe) throws IOException {
        UpstreamIo io = new UpstreamIo();
        try {
            if (!spec.stdin().isEmpty()) {
                io.stdinSource = openFifo(spec.stdin(), LibC.O_RDONLY | LibC.O_NONBLOCK);
                io.stdinHold = openFifo(spec.stdin(), LibC.O_WRONLY | LibC.O_NONBLOCK);
            }
            URI out = parse(spec.stdout());
            if (out != null && "binary".equals(out.getScheme())) {
                io.logger = startLogger(out, namespace, id, stdoutPipe, stderrPipe);
            } else {
                io.stdoutSink = openSink(spec.stdout());
                if (!spec.terminal()) {
                    io.stderrSink = openSink(spec.stderr());
                }
            }
            return io;
        } catch (IOException | RuntimeException e) {
            io.close();
            throw e;
        }
    }

    /**
     * Ends already open (the diag caller's FIFOs), owned from now on; -1 for none. End-of-file
     * on stdin is the caller's to give, so no write end is held.
     */
    static UpstreamIo ofOpenEnds(int stdin, int stdout, int stderr) {
        UpstreamIo io = new UpstreamIo();
        io.stdinSource = stdin;
        io.stdoutSink = stdout;
        io.stderrSink = stderr;
        return io;
    }

    boolean usesLogger() {
        return logger != null;
    }

    /** Ends stdin once the relay drained what clients wrote: drop our own writer of the FIFO. */
    synchronized void closeStdinHold() {
        Fds.closeQuietly(stdinHold);
        stdinHold = -1;
    }

    /** Once its relay reached end-of-file: readers of the stdout FIFO see end-of-file too. */
    synchronized void closeStdoutSink() {
        Fds.closeQuietly(stdoutSink);
        stdoutSink = -1;
    }

    synchronized void closeStderrSink() {
        Fds.closeQuietly(stderrSink);
        stderrSink = -1;
    }

    @Override
    public synchronized void close() {
        closeStdinHold();
        Fds.closeQuietly(stdinSource);
        Fds.closeQuietly(stdoutSink);
        Fds.closeQuietly(stderrSink);
        stdinSource = stdoutSink = stderrSink = -1;
        if (logger != null) {
            // The logger ends when its pipes reach end-of-file; give it a moment, then insist.
            try {
                if (!logger.waitFor(5, TimeUnit.SECONDS)) {
                    logger.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                logger.destroyForcibly();
            }
            logger = null;
        }
    }

    private static URI parse(String target) throws IOException {
        if (target.isEmpty() || !target.contains("://")) {
            return null;
        }
        try {
            return new URI(target);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("bad stdio URI " + target + ": " + e.getMessage());
        }
    }

    /** A FIFO path, or a file:// URI (appended to, created if missing); -1 for none. */
    private static int openSink(String target) throws IOException {
        if (target.isEmpty()) {
            return -1;
        }
        URI uri = parse(target);
        if (uri == null) {
            return openFifo(target, LibC.O_RDWR | LibC.O_NONBLOCK);
        }
        if ("file".equals(uri.getScheme())) {
            Path file = Path.of(uri.getPath());
            Files.createDirectories(file.getParent());
            return open(file.toString(), LibC.O_WRONLY | O_APPEND | O_CREAT, 0640);
        }
        if ("fifo".equals(uri.getScheme())) {
            return openFifo(uri.getPath(), LibC.O_RDWR | LibC.O_NONBLOCK);
        }
        throw new IllegalArgumentException("unsupported stdio URI scheme " + uri.getScheme() + " in " + target);
    }

    private static int openFifo(String path, int flags) throws IOException {
        return open(path, flags, 0);
    }

    private static int open(String path, int flags, int mode) throws IOException {
        try {
            return C.open(path, flags | O_CLOEXEC, mode);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == LibC.ENOENT) {
                // a path the request named: bad input, as a missing upstream pipe is on Windows
                throw Errdefs.invalidArgument("stdio target %s does not exist", path);
            }
            throw new IOException("open " + path + ": errno " + e.getErrorCode(), e);
        }
    }

    /**
     * containerd's logging-binary protocol: the program gets CONTAINER_ID and
     * CONTAINER_NAMESPACE, the stdout and stderr pipes as fds 3 and 4, and closes fd 5 when it
     * is ready. The JDK cannot place fds at fixed numbers, so a shell does it: 3 and 4 from
     * /proc (we hold those fds open for the process's life), 5 as a copy of the shell's own
     * stdout pipe, so "ready" is end-of-file on that pipe once the logger closed its fd 5.
     */
    private static Process startLogger(URI uri, String namespace, String id, int stdoutPipe, int stderrPipe) throws IOException {
        long self = ProcessHandle.current().pid();
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c",
                "exec 3<" + fdPath(self, stdoutPipe) + " 4<" + fdPath(self, stderrPipe) + " 5>&1 1>/dev/null; exec \"$0\" \"$@\"",
                uri.getPath()));
        if (uri.getQuery() != null) {
            for (String pair : uri.getQuery().split("&")) {
                int eq = pair.indexOf('=');
                cmd.add(eq < 0 ? pair : pair.substring(0, eq));
                if (eq >= 0 && eq + 1 < pair.length()) {
                    cmd.add(pair.substring(eq + 1));
                }
            }
        }
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.PIPE)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        Map<String, String> env = pb.environment();
        env.put("CONTAINER_ID", id);
        env.put("CONTAINER_NAMESPACE", namespace);
        Process p = dev.hcsshim.linux.ExitWatcher.shared().spawn(pb); // so the orphan sweeper leaves it to the JVM
        waitReady(p, uri);
        return p;
    }

    private static String fdPath(long pid, int fd) {
        return fd < 0 ? "/dev/null" : "/proc/" + pid + "/fd/" + fd;
    }

    /** Blocks until the logger closed its fd 5 (end-of-file on its stdout pipe), bounded. */
    private static void waitReady(Process logger, URI uri) throws IOException {
        java.util.concurrent.CompletableFuture<Void> eof = new java.util.concurrent.CompletableFuture<>();
        // one virtual thread, no executor to shut down; it ends at end-of-file or when the
        // logger is destroyed below
        Thread.ofVirtual().name("logger-ready").start(() -> {
            try (var in = logger.getInputStream()) {
                while (in.read() >= 0) {
                    // a logger has nothing to say on fd 5; read until it is closed
                }
            } catch (IOException e) {
                // closed under us: the logger is gone either way
            }
            eof.complete(null);
        });
        try {
            eof.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            logger.destroyForcibly();
            throw new IOException("logging binary " + uri.getPath() + " did not signal ready within 10s");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("logging binary " + uri.getPath() + ": " + e.getCause(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            logger.destroyForcibly();
            throw new IOException("interrupted waiting for logging binary " + uri.getPath(), e);
        }
        if (!logger.isAlive() && logger.exitValue() != 0) {
            throw new IOException("logging binary " + uri.getPath() + " exited with " + logger.exitValue() + " before it was ready");
        }
        log.debug("logging binary {} is ready", uri.getPath());
    }
}
