package dev.hcsshim.shim.linux;

import dev.hcsshim.linux.ConsoleSocket;
import dev.hcsshim.linux.Fds;
import dev.hcsshim.linux.OciRuntime;
import dev.hcsshim.linux.SpliceRelay;
import dev.hcsshim.linux.StdioPipes;
import dev.hcsshim.shim.task.StdioSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One process's stdio, end to end: the pipes (or pty) on the container side, the upstream
 * FIFOs/log on containerd's side, and splice relays between them (hcsoci.Cmd's job). Nothing is
 * buffered in the JVM: a slow reader stalls the relay, which stalls the writer.
 */
final class ProcessIo implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProcessIo.class);
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "io-drain-timer");
        t.setDaemon(true);
        return t;
    });

    private final String name;
    private final StdioSpec spec;
    private final StdioPipes pipes;
    private final UpstreamIo upstream;
    private ConsoleSocket console;
    private int ptyMaster = -1;
    private int ptyMasterOut = -1;
    private SpliceRelay stdinRelay;
    private final List<SpliceRelay> outputRelays = new ArrayList<>();
    private boolean closed;

    private ProcessIo(String name, StdioSpec spec, StdioPipes pipes, UpstreamIo upstream) {
        this.name = name;
        this.spec = spec;
        this.pipes = pipes;
        this.upstream = upstream;
    }

    /** Prepares the stdio of a process about to be created; {@link #containerStdio()} goes to the runtime. */
    static ProcessIo prepare(String name, StdioSpec spec, String namespace, String id, Path consoleDir) throws IOException {
        StdioPipes pipes = null;
        UpstreamIo upstream = null;
        try {
            if (spec.terminal()) {
                pipes = new StdioPipes(false, false, false);
                upstream = UpstreamIo.open(spec, namespace, id, -1, -1);
                ProcessIo io = new ProcessIo(name, spec, pipes, upstream);
                io.console = ConsoleSocket.listen(consoleDir);
                return io;
            }
            boolean logger = spec.stdout().startsWith("binary://");
            pipes = new StdioPipes(!spec.stdin().isEmpty(), !spec.stdout().isEmpty(), logger || !spec.stderr().isEmpty());
            upstream = UpstreamIo.open(spec, namespace, id, pipes.stdoutFd(), pipes.stderrFd());
            return new ProcessIo(name, spec, pipes, upstream);
        } catch (IOException | RuntimeException e) {
            if (upstream != null) {
                upstream.close();
            }
            if (pipes != null) {
                pipes.closeContainerEnds();
                pipes.close();
            }
            throw e;
        }
    }

    OciRuntime.Stdio containerStdio() {
        return pipes.containerStdio();
    }

    /** The runtime's --console-socket, or null without a terminal. */
    Path consoleSocket() {
        return console == null ? null : console.path();
    }

    /**
     * After the runtime created the process: drop our copies of its ends, receive the pty if
     * any, and start the relays.
     */
    void started() throws IOException {
        pipes.closeContainerEnds();
        if (console != null) {
            ptyMaster = console.receiveMaster(Duration.ofSeconds(30));
            console.close();
            console = null;
            ptyMasterOut = dupFd(ptyMaster);
            if (upstream.stdinSource >= 0) {
                stdinRelay = SpliceRelay.start(name + "-stdin", upstream.stdinSource, ptyMaster);
            }
            if (upstream.stdoutSink >= 0) {
                SpliceRelay r = SpliceRelay.start(name + "-stdout", ptyMasterOut, upstream.stdoutSink);
                r.done().whenComplete((n, e) -> upstream.closeStdoutSink());
                outputRelays.add(r);
            }
            return;
        }
        if (upstream.stdinSource >= 0 && pipes.stdinFd() >= 0) {
            stdinRelay = SpliceRelay.start(name + "-stdin", upstream.stdinSource, pipes.stdinFd());
            // Once the client's stdin is drained, the process reads end-of-file.
            stdinRelay.done().whenComplete((n, e) -> pipes.closeStdin());
        }
        if (!upstream.usesLogger()) {
            // As containerd's runc shim does: once a stream's copy is done, our ends of its FIFO
            // close, so the client reads end-of-file without waiting for Delete.
            if (pipes.stdoutFd() >= 0 && upstream.stdoutSink >= 0) {
                SpliceRelay r = SpliceRelay.start(name + "-stdout", pipes.stdoutFd(), upstream.stdoutSink);
                r.done().whenComplete((n, e) -> upstream.closeStdoutSink());
                outputRelays.add(r);
            }
            if (pipes.stderrFd() >= 0 && upstream.stderrSink >= 0) {
                SpliceRelay r = SpliceRelay.start(name + "-stderr", pipes.stderrFd(), upstream.stderrSink);
                r.done().whenComplete((n, e) -> upstream.closeStderrSink());
                outputRelays.add(r);
            }
        }
    }

    /** CloseIO(stdin): what clients already wrote is still delivered, then end-of-file. */
    void closeStdin() {
        upstream.closeStdinHold();
        if (stdinRelay == null) {
            pipes.closeStdin();
        }
    }

    void resize(int width, int height) throws IOException {
        if (ptyMaster >= 0) {
            ConsoleSocket.resize(ptyMaster, width, height);
        }
    }

    /**
     * Completes when every output relay reached end-of-file, so the exit can be published. A
     * relay that makes no progress for {@code idleBound} after the exit (a leftover writer that
     * never closes) is cancelled: the bound limits a stuck relay, never a busy one.
     */
    CompletableFuture<Void> drained(Duration idleBound) {
        if (outputRelays.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(
                outputRelays.stream().map(r -> r.done().handle((n, e) -> null)).toArray(CompletableFuture[]::new));
        scheduleIdleCheck(all, idleBound, totalCopied());
        return all;
    }

    private void scheduleIdleCheck(CompletableFuture<Void> all, Duration idleBound, long lastCopied) {
        TIMER.schedule(() -> {
            if (all.isDone()) {
                return;
            }
            long copied = totalCopied();
            if (copied == lastCopied) {
                log.warn("{}: output relays idle for {} after exit; closing them", name, idleBound);
                outputRelays.forEach(SpliceRelay::cancel);
            } else {
                scheduleIdleCheck(all, idleBound, copied);
            }
        }, idleBound.toMillis(), TimeUnit.MILLISECONDS);
    }

    private long totalCopied() {
        return outputRelays.stream().mapToLong(SpliceRelay::bytesCopied).sum();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        // Stop the relay threads before their fds are closed under them.
        if (stdinRelay != null) {
            stopRelay(stdinRelay);
        }
        outputRelays.forEach(ProcessIo::stopRelay);
        try {
            if (console != null) {
                console.close();
            }
        } catch (IOException e) {
            log.debug("{}: closing console socket: {}", name, e.toString());
        }
        pipes.closeContainerEnds();
        pipes.close();
        Fds.closeQuietly(ptyMaster);
        Fds.closeQuietly(ptyMasterOut);
        upstream.close();
    }

    private static void stopRelay(SpliceRelay relay) {
        relay.close();
    }

    private static int dupFd(int fd) throws IOException {
        try {
            return dev.hcsshim.linux.LibC.INSTANCE.fcntl(fd, 1030 /* F_DUPFD_CLOEXEC */, 3);
        } catch (com.sun.jna.LastErrorException e) {
            throw new IOException("dup of pty master: errno " + e.getErrorCode(), e);
        }
    }
}
