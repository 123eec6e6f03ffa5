package dev.hcsshim.linux;

import dev.hcsshim.process.ExitStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/**
 * A process in an OCI container: the init process (from {@link LinuxContainer#create}) or an
 * exec'd one ({@link LinuxContainer#createProcess}).
 *
 * <p>Stdio is offered two ways: raw fds for {@link SpliceRelay} ({@link #stdinFd()},
 * {@link #stdoutFd()}, {@link #stderrFd()}, {@link #ptyMasterFd()}), and java.io streams over
 * the same fds for the {@code cow} contract. Use one or the other per stream. With a terminal,
 * stdout is the pty master (read side), stdin the same fd (write side), and there is no stderr.
 * All of these fds are owned by this object and closed by {@link #close()}.
 */
public final class LinuxProcess implements dev.hcsshim.cow.Process {
    private final OciRuntime runtime;
    private final String containerId;
    private final boolean init;
    private final int pid;
    private final CompletableFuture<ExitStatus> exit;
    private final StdioPipes pipes;
    private final boolean terminal;
    private volatile int ptyMaster;
    private InputStream stdout, stderr;
    private OutputStream stdin;
    private boolean closed;

    LinuxProcess(OciRuntime runtime, String containerId, boolean init, OciRuntime.Started started,
                 StdioPipes pipes, int ptyMaster) {
        this.runtime = runtime;
        this.containerId = containerId;
        this.init = init;
        this.pid = started.pid();
        this.exit = started.exit();
        this.pipes = pipes;
        this.ptyMaster = ptyMaster;
        this.terminal = ptyMaster >= 0;
    }

    @Override
    public int pid() {
        return pid;
    }

    /** Whether this is the container's init process. */
    public boolean isInit() {
        return init;
    }

    /** Whether the process has a terminal (then {@link #ptyMasterFd()} is its stdio). */
    public boolean terminal() {
        return terminal;
    }

    /** Completes with the exit status once the process exited and was reaped. */
    public CompletableFuture<ExitStatus> exitStatus() {
        return exit;
    }

    /** Write end of the process's stdin pipe, or -1. */
    public int stdinFd() {
        return pipes == null ? -1 : pipes.stdinFd();
    }

    /** Read end of the process's stdout pipe, or -1. */
    public int stdoutFd() {
        return pipes == null ? -1 : pipes.stdoutFd();
    }

    /** Read end of the process's stderr pipe, or -1. */
    public int stderrFd() {
        return pipes == null ? -1 : pipes.stderrFd();
    }

    /** The pty master (terminal processes only), or -1. */
    public int ptyMasterFd() {
        return ptyMaster;
    }

    @Override
    public synchronized OutputStream stdin() {
        int fd = ptyMaster >= 0 ? ptyMaster : stdinFd();
        if (stdin == null && fd >= 0) stdin = FdStreams.output(fd);
        return stdin;
    }

    @Override
    public synchronized InputStream stdout() {
        int fd = ptyMaster >= 0 ? ptyMaster : stdoutFd();
        if (stdout == null && fd >= 0) stdout = FdStreams.input(fd);
        return stdout;
    }

    @Override
    public synchronized InputStream stderr() {
        if (stderr == null && stderrFd() >= 0) stderr = FdStreams.input(stderrFd());
        return stderr;
    }

    /** Closes the stdin pipe (the process reads EOF). No-op for a terminal: the pty is shared. */
    @Override
    public void closeStdin() {
        if (pipes != null) pipes.closeStdin();
    }

    @Override
    public void closeStdout() {
        if (pipes != null) pipes.closeStdout();
    }

    @Override
    public void closeStderr() {
        if (pipes != null) pipes.closeStderr();
    }

    @Override
    public void resizeConsole(int width, int height) throws IOException {
        if (ptyMaster < 0) throw new IOException("process " + pid + " has no terminal");
        ConsoleSocket.resize(ptyMaster, width, height);
    }

    /** SIGKILL; false if the process had already exited. */
    @Override
    public boolean kill() throws IOException {
        return signal(9);
    }

    /**
     * Sends a Linux signal (an Integer); false if the process had already exited. The init
     * process is signalled through the runtime ({@code runc kill}), others directly.
     */
    @Override
    public boolean signal(Object options) throws IOException {
        if (!(options instanceof Number n)) throw new IllegalArgumentException("signal must be a number: " + options);
        return signal(n.intValue());
    }

    /** See {@link #signal(Object)}. */
    public boolean signal(int sig) throws IOException {
        if (exit.isDone()) return false;
        if (init) {
            try {
                runtime.kill(containerId, sig, false);
                return true;
            } catch (OciRuntimeException e) {
                if (exit.isDone() || e.kind() != OciRuntimeException.Kind.OTHER) return false;
                throw e;
            }
        }
        // through the watcher's pidfd: never a recycled pid
        return runtime.watcher().signal(pid, sig);
    }

    @Override
    public void waitFor() throws IOException, InterruptedException {
        try {
            exit.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }

    @Override
    public CompletionStage<Void> exited() {
        return exit.thenApply(s -> null);
    }

    @Override
    public int exitCode() throws IOException {
        if (!exit.isDone()) throw new IOException("process " + pid + " has not exited");
        try {
            return exit.join().status();
        } catch (RuntimeException e) {
            throw new IOException("process " + pid + ": exit unknown", e.getCause());
        }
    }

    /** Closes the stdio fds held here (pipes, pty master). Does not signal the process. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (pipes != null) pipes.close();
        Fds.closeQuietly(ptyMaster);
        ptyMaster = -1;
    }
}
