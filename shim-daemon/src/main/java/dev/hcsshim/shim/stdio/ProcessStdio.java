package dev.hcsshim.shim.stdio;

import dev.hcsshim.linux.ConsoleSocket;
import dev.hcsshim.linux.Fds;
import dev.hcsshim.linux.OciRuntime;
import dev.hcsshim.linux.SpliceRelay;
import dev.hcsshim.linux.StdioPipes;
import dev.hcsshim.shim.task.StdioSpec;
import dev.hcsshim.stdio.CopyAfterExit;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one owner of a Linux process's stdio, for a task's init and exec processes and for the
 * diag host exec: the pipes (or pty) on the process's side, the client's side
 * ({@link UpstreamIo}: containerd's FIFOs, a log URI, or a diag caller's FIFOs), and the splice
 * relays between them. Nothing is buffered in the JVM: a slow reader stalls the relay, which
 * stalls the writer.
 *
 * <p>Life: create, hand {@link #containerStdio()} (or {@link #consoleSocket()}) to whatever
 * starts the process, call {@link #started()} once it is running, {@link #drained()} once it
 * exited (the {@link CopyAfterExit} rule), then {@link #close()}.
 */
public final class ProcessStdio implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProcessStdio.class);
    private static final Duration CONSOLE_RECEIVE_BOUND = Duration.ofSeconds(30);

    private final String name;
    /** The process's pipes; null with a terminal. */
    private final StdioPipes pipes;
    private final UpstreamIo upstream;
    private final Duration copyAfterExit;
    private ConsoleSocket console;
    private int ptyMaster = -1;
    private int ptyMasterOut = -1;
    private SpliceRelay stdinRelay;
    private final List<SpliceRelay> outputRelays = new ArrayList<>();
    private boolean closed;

    private ProcessStdio(String name, StdioPipes pipes, UpstreamIo upstream, Duration copyAfterExit) {
        this.name = name;
        this.pipes = pipes;
        this.upstream = upstream;
        this.copyAfterExit = copyAfterExit;
    }

    /**
     * The stdio containerd asked for, for a process a runtime is about to create: with a
     * terminal, the runtime sends the pty master to {@link #consoleSocket()} (made in
     * {@code consoleDir}).
     */
    public static ProcessStdio forTask(String name, StdioSpec spec, String namespace, String id, Path consoleDir,
            Duration copyAfterExit) throws IOException {
        StdioPipes pipes = null;
        UpstreamIo upstream = null;
        try {
            if (spec.terminal()) {
                upstream = UpstreamIo.open(spec, namespace, id, -1, -1);
                ProcessStdio io = new ProcessStdio(name, null, upstream, copyAfterExit);
                io.console = ConsoleSocket.listen(consoleDir);
                return io;
            }
            boolean logger = spec.stdout().startsWith("binary://");
            pipes = new StdioPipes(!spec.stdin().isEmpty(), !spec.stdout().isEmpty(), logger || !spec.stderr().isEmpty());
            upstream = UpstreamIo.open(spec, namespace, id, pipes.stdoutFd(), pipes.stderrFd());
            return new ProcessStdio(name, pipes, upstream, copyAfterExit);
        } catch (IOException | RuntimeException e) {
            if (upstream != null) upstream.close();
            if (pipes != null) pipes.close();
            throw e;
        }
    }

    /**
     * Pipes to a process whose client ends are open already (fds owned by the result from now
     * on, even if this throws; -1 for a stream not wanted).
     */
    public static ProcessStdio forOpenEnds(String name, int stdin, int stdout, int stderr, Duration copyAfterExit)
            throws IOException {
        UpstreamIo upstream = UpstreamIo.ofOpenEnds(stdin, stdout, stderr);
        try {
            return new ProcessStdio(name, new StdioPipes(stdin >= 0, stdout >= 0, stderr >= 0), upstream, copyAfterExit);
        } catch (IOException | RuntimeException e) {
            upstream.close();
            throw e;
        }
    }

    /** A pty whose master we hold (owned by the result), relayed to client ends open already. */
    public static ProcessStdio forPty(String name, int ptyMaster, int stdin, int stdout, Duration copyAfterExit) {
        ProcessStdio io = new ProcessStdio(name, null, UpstreamIo.ofOpenEnds(stdin, stdout, -1), copyAfterExit);
        io.ptyMaster = ptyMaster;
        return io;
    }

    /** The process's ends of its pipes, for the runtime or the spawner ({@link OciRuntime.Stdio#NULL} with a pty). */
    public OciRuntime.Stdio containerStdio() {
        return pipes == null ? OciRuntime.Stdio.NULL : pipes.containerStdio();
    }

    /** The runtime's --console-socket, or null without one. */
    public Path consoleSocket() {
        return console == null ? null : console.path();
    }

    /**
     * Once the process runs: drop our copies of its ends (so end-of-file can come), receive the
     * pty master if the runtime sends one, and start the relays.
     */
    public void started() throws IOException {
        if (pipes != null) pipes.closeContainerEnds();
        if (console != null) {
            ptyMaster = console.receiveMaster(CONSOLE_RECEIVE_BOUND);
            console.close();
            console = null;
        }
        if (ptyMaster >= 0) {
            ptyMasterOut = Fds.dup(ptyMaster);
            if (upstream.stdinSource >= 0) {
                stdinRelay = SpliceRelay.start(name + "-stdin", upstream.stdinSource, ptyMaster);
            }
            if (upstream.stdoutSink >= 0) {
                outputRelays.add(output("stdout", ptyMasterOut, upstream.stdoutSink, upstream::closeStdoutSink));
            }
            return;
        }
        if (upstream.stdinSource >= 0 && pipes.stdinFd() >= 0) {
            stdinRelay = SpliceRelay.start(name + "-stdin", upstream.stdinSource, pipes.stdinFd());
            // Once the client's stdin is drained, the process reads end-of-file.
            stdinRelay.done().whenComplete((n, e) -> pipes.closeStdin());
        }
        if (!upstream.usesLogger()) {
            if (pipes.stdoutFd() >= 0 && upstream.stdoutSink >= 0) {
                outputRelays.add(output("stdout", pipes.stdoutFd(), upstream.stdoutSink, upstream::closeStdoutSink));
            }
            if (pipes.stderrFd() >= 0 && upstream.stderrSink >= 0) {
                outputRelays.add(output("stderr", pipes.stderrFd(), upstream.stderrSink, upstream::closeStderrSink));
            }
        }
    }

    /**
     * As containerd's runc shim does: once a stream's copy is done, our end of its FIFO closes,
     * so the client reads end-of-file without waiting for Delete.
     */
    private SpliceRelay output(String stream, int from, int to, Runnable closeSink) throws IOException {
        SpliceRelay r = SpliceRelay.start(name + "-" + stream, from, to);
        r.done().whenComplete((n, e) -> closeSink.run());
        return r;
    }

    /** CloseIO(stdin): what clients already wrote is still delivered, then end-of-file. */
    public void closeStdin() {
        upstream.closeStdinHold();
        if (stdinRelay == null && pipes != null) pipes.closeStdin();
    }

    public void resize(int width, int height) throws IOException {
        if (ptyMaster >= 0) ConsoleSocket.resize(ptyMaster, width, height);
    }

    /**
     * Call once the process exited: completes when every output relay has ended, by
     * end-of-file or because {@link CopyAfterExit} closed a stream idle for the timeout.
     */
    public CompletableFuture<Void> drained() {
        return CopyAfterExit.drain(outputRelays, copyAfterExit);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        // Stop the relay threads before their fds are closed under them.
        if (stdinRelay != null) stdinRelay.close();
        outputRelays.forEach(SpliceRelay::close);
        try {
            if (console != null) console.close();
        } catch (IOException e) {
            log.debug("{}: closing console socket: {}", name, e.toString());
        }
        if (pipes != null) pipes.close();
        Fds.closeQuietly(ptyMaster);
        Fds.closeQuietly(ptyMasterOut);
        upstream.close();
    }
}
