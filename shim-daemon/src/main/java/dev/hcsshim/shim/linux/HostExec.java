package dev.hcsshim.shim.linux;

import com.sun.jna.LastErrorException;
import dev.hcsshim.linux.ExitWatcher;
import dev.hcsshim.linux.Fds;
import dev.hcsshim.linux.LibC;
import dev.hcsshim.linux.OciRuntime;
import dev.hcsshim.proto.runhcs.diag.ExecProcessRequest;
import dev.hcsshim.shim.stdio.ProcessStdio;
import dev.hcsshim.shim.task.Errdefs;
import dev.hcsshim.stdio.CopyAfterExit;
import io.grpc.Context;
import io.grpc.Status;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One DiagExecInHost: validates, opens the caller's pipes, starts the process (on the host, or
 * through nsenter in the sandbox's namespaces) with its stdio owned by a {@link ProcessStdio}
 * (the same owner and copy-after-exit rule as a task's processes), and returns its exit code.
 */
final class HostExec {
    private static final Logger log = LoggerFactory.getLogger(HostExec.class);
    private static final LibC C = LibC.INSTANCE;
    /** The caller opens its ends of the pipes before calling; this bounds a caller that never does. */
    private static final Duration OPEN_BOUND = Duration.ofSeconds(20);
    static final String SANDBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private final ExecProcessRequest req;
    /** The sandbox init whose namespaces the process joins; 0: run on the shim's host. */
    private final int sandboxPid;
    private final List<Integer> fds = new ArrayList<>();

    HostExec(ExecProcessRequest req, int sandboxPid) {
        this.req = req;
        this.sandboxPid = sandboxPid;
    }

    int run() throws IOException, InterruptedException {
        if (req.getArgsCount() == 0 || req.getArgs(0).isEmpty()) {
            throw Errdefs.invalidArgument("no command to run: args are empty");
        }
        if (req.getTerminal() && !req.getStderr().isEmpty()) {
            throw Errdefs.failedPrecondition("a terminal has no separate stderr: leave stderr empty with terminal");
        }
        Path root = sandboxPid > 0 ? Path.of("/proc/" + sandboxPid + "/root") : Path.of("/");
        String searchPath = sandboxPid > 0 ? SANDBOX_PATH : System.getenv().getOrDefault("PATH", SANDBOX_PATH);
        String exe = RootPaths.findExecutable(root, req.getArgs(0), searchPath);
        if (exe == null) {
            throw Errdefs.notFound("executable file not found%s: %s", sandboxPid > 0 ? " in the sandbox" : "", req.getArgs(0));
        }
        String workdir = req.getWorkdir().isEmpty() ? "/" : req.getWorkdir();
        if (!workdir.startsWith("/")) {
            throw Errdefs.invalidArgument("workdir must be absolute, got %s", workdir);
        }
        Path hostWorkdir = RootPaths.resolve(root, workdir);
        if (!Files.isDirectory(hostWorkdir)) {
            throw Errdefs.invalidArgument("workdir %s is not a directory", workdir);
        }
        for (String p : List.of(req.getStdin(), req.getStdout(), req.getStderr())) {
            if (!p.isEmpty() && !p.startsWith("/")) {
                throw Errdefs.invalidArgument("stdio pipe paths must be absolute, got %s", p);
            }
        }

        try {
            return runChecked(exe, hostWorkdir);
        } finally {
            fds.forEach(Fds::closeQuietly);
        }
    }

    private int runChecked(String program, Path hostWorkdir) throws IOException, InterruptedException {
        int stdinFifo = req.getStdin().isEmpty() ? -1 : track(openBounded(req.getStdin(), false));
        int stdoutFifo = req.getStdout().isEmpty() ? -1 : track(openBounded(req.getStdout(), true));
        int stderrFifo = req.getStderr().isEmpty() ? -1 : track(openBounded(req.getStderr(), true));

        List<String> command = new ArrayList<>();
        if (sandboxPid > 0) {
            command.addAll(List.of("nsenter", "-t", Integer.toString(sandboxPid), "-m", "-u", "-i", "-n", "-p",
                    "--root=/proc/" + sandboxPid + "/root", "--wd=" + hostWorkdir, "--"));
        }
        command.add(program);
        command.addAll(req.getArgsList().subList(1, req.getArgsCount()));

        ProcessBuilder pb = new ProcessBuilder();
        if (sandboxPid > 0) {
            pb.environment().clear();
            pb.environment().put("PATH", SANDBOX_PATH);
        } else {
            pb.directory(hostWorkdir.toFile());
        }
        // From here the caller's FIFOs belong to the stdio owner.
        ProcessStdio stdio;
        synchronized (fds) {
            fds.clear();
        }
        if (req.getTerminal()) {
            DiagSys.PtyPair pty;
            try {
                pty = DiagSys.openPty();
            } catch (IOException | RuntimeException e) {
                Fds.closeQuietly(stdinFifo);
                Fds.closeQuietly(stdoutFifo);
                throw e;
            }
            stdio = ProcessStdio.forPty("diag", pty.master(), stdinFifo, stdoutFifo, CopyAfterExit.defaultTimeout());
            pb.environment().putIfAbsent("TERM", "xterm");
            // The daemon leads a session without a terminal: were it to open the slave, the pty
            // would become its own. A shell (no session leader) opens it, then setsid -c makes it
            // the controlling terminal of the new session the process leads.
            List<String> wrapped = new ArrayList<>(List.of("/bin/sh", "-c", "exec setsid -c \"$@\" <>\"$0\" >&0 2>&0", pty.slave()));
            wrapped.addAll(command);
            command = wrapped;
        } else {
            stdio = ProcessStdio.forOpenEnds("diag", stdinFifo, stdoutFifo, stderrFifo, CopyAfterExit.defaultTimeout());
        }
        try (stdio) {
            // The process's ends of our own pipes, reopened through /proc/self/fd by
            // ProcessBuilder: the process never gets the caller's FIFOs, so their lifetime is ours.
            OciRuntime.Stdio child = stdio.containerStdio();
            pb.redirectInput(child.stdin() >= 0 ? procFd(child.stdin()) : new File("/dev/null"));
            pb.redirectOutput(child.stdout() >= 0 ? ProcessBuilder.Redirect.to(procFd(child.stdout())) : ProcessBuilder.Redirect.DISCARD);
            pb.redirectError(child.stderr() >= 0 ? ProcessBuilder.Redirect.to(procFd(child.stderr())) : ProcessBuilder.Redirect.DISCARD);
            pb.command(command);
            Process process;
            try {
                process = ExitWatcher.shared().spawn(pb);
            } catch (IOException e) {
                throw Errdefs.failedPrecondition("cannot start %s: %s", req.getArgs(0), e.getMessage());
            }
            log.info("diag exec {} (pid {}){}", req.getArgsList(), process.pid(), sandboxPid > 0 ? " in sandbox of pid " + sandboxPid : "");
            // A caller that goes away (gRPC cancel, deadline) takes the process with it.
            Context call = Context.current();
            Context.CancellationListener onCancel = c -> kill(process);
            call.addListener(onCancel, Runnable::run);
            try {
                stdio.started();
                int code = process.waitFor();
                stdio.drained().get();
                return code;
            } catch (InterruptedException e) {
                kill(process);
                throw e;
            } catch (IOException | RuntimeException e) {
                kill(process);
                throw e;
            } catch (ExecutionException impossible) {
                throw new IllegalStateException(impossible);
            } finally {
                call.removeListener(onCancel);
            }
        }
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    private int track(int fd) {
        synchronized (fds) {
            fds.add(fd);
        }
        return fd;
    }

    private static File procFd(int fd) {
        return new File("/proc/self/fd/" + fd);
    }

    /**
     * Opens the caller's end of a FIFO (or file), waiting at most {@link #OPEN_BOUND} for the
     * caller to open the other end. A blocked open is released by briefly opening the other end
     * ourselves, so no thread is left behind.
     */
    private static int openBounded(String path, boolean write) throws IOException, InterruptedException {
        if (!Files.exists(Path.of(path))) {
            throw Errdefs.notFound("stdio pipe %s does not exist", path);
        }
        CompletableFuture<Integer> opened = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("diag-open").start(() -> {
            try {
                opened.complete(C.open(path, (write ? LibC.O_WRONLY : LibC.O_RDONLY) | LibC.O_CLOEXEC | LibC.O_NOCTTY, 0));
            } catch (LastErrorException e) {
                opened.completeExceptionally(new IOException("errno " + e.getErrorCode()));
            }
        });
        try {
            return opened.get(OPEN_BOUND.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw Errdefs.invalidArgument("cannot open stdio pipe %s: %s", path, e.getCause().getMessage());
        } catch (TimeoutException e) {
            int other = -1;
            try {
                other = C.open(path, (write ? LibC.O_RDONLY : LibC.O_WRONLY) | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
                Fds.closeQuietly(opened.get(5, TimeUnit.SECONDS));
            } catch (LastErrorException | ExecutionException | TimeoutException ignored) {
                // nothing more we can do for that thread
            } finally {
                Fds.closeQuietly(other);
            }
            throw Status.DEADLINE_EXCEEDED.withDescription("nobody opened the other end of " + path + " within " + OPEN_BOUND.toSeconds() + "s")
                    .asRuntimeException();
        }
    }
}
