package dev.hcsshim.hcsoci;

import dev.hcsshim.cow.Process;
import dev.hcsshim.cow.ProcessHost;
import dev.hcsshim.stdio.CopyAfterExit;
import dev.hcsshim.stdio.StreamCopy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A command run in a process host, relaying its stdio (hcsshim's hcsoci.Cmd). Fields are public
 * and set before {@link #start()}, as in Go.
 */
public final class Cmd {
    private static final Logger LOG = LoggerFactory.getLogger(Cmd.class);

    /** The host in which to launch the process. */
    public ProcessHost host;
    /** The OCI process spec. */
    public ProcessSpec spec;
    public InputStream stdin;
    public OutputStream stdout;
    public OutputStream stderr;
    /** Completing (normally or not) kills the process: Go's context cancellation. */
    public CompletionStage<?> context;
    /**
     * After the process exits, how long a stdout/stderr relay may see no output before it is
     * closed (HCS sometimes never closes the pipes); output that keeps flowing is never cut
     * ({@link CopyAfterExit}). Zero waits forever.
     */
    public Duration copyAfterExitTimeout = Duration.ZERO;
    /** Set by {@link #start()}. */
    public Process process;
    /** Set by {@link #waitFor()}. */
    public ExitState exitState = ExitState.NOT_EXITED;

    private final List<StreamCopy> outputs = new ArrayList<>();
    private final AtomicReference<IOException> stdinErr = new AtomicReference<>();
    private final CompletableFuture<Void> allDone = new CompletableFuture<>();

    public static Cmd command(ProcessHost host, String name, String... args) {
        Cmd c = new Cmd();
        c.host = host;
        c.spec = new ProcessSpec();
        c.spec.args.add(name);
        c.spec.args.addAll(List.of(args));
        if ("windows".equals(host.os())) {
            c.spec.cwd = "C:\\";
        } else {
            c.spec.cwd = "/";
            c.spec.env = new ArrayList<>(List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
        }
        return c;
    }

    /** A command killed when {@code context} completes. */
    public static Cmd commandContext(CompletionStage<?> context, ProcessHost host, String name, String... args) {
        Cmd c = command(host, name, args);
        c.context = context;
        return c;
    }

    /**
     * The document CreateProcess gets: for an OCI host the lcow.ProcessParameters shape (the spec
     * under "OciProcess"), otherwise hcsschema.ProcessParameters.
     */
    Map<String, Object> processConfig() {
        Map<String, Object> x = new LinkedHashMap<>();
        if (host.isOci()) {
            x.put("OciProcess", spec);
        } else {
            String cmdLine = spec.commandLine;
            if (cmdLine == null || cmdLine.isEmpty()) {
                if ("windows".equals(host.os())) x.put("CommandLine", WindowsArgs.join(spec.args));
                else x.put("CommandArgs", List.copyOf(spec.args));
            } else {
                x.put("CommandLine", cmdLine);
            }
            if (spec.user != null && spec.user.username != null) x.put("User", spec.user.username);
            x.put("WorkingDirectory", spec.cwd);
            if (spec.env != null) {
                Map<String, String> env = new LinkedHashMap<>();
                for (String kv : spec.env) {
                    int eq = kv.indexOf('=');
                    if (eq > 0) env.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
                x.put("Environment", env);
            }
            x.put("EmulateConsole", spec.isTerminal());
            if (spec.consoleSize != null) x.put("ConsoleSize", List.of(spec.consoleSize.height, spec.consoleSize.width));
        }
        x.put("CreateStdInPipe", stdin != null);
        x.put("CreateStdOutPipe", stdout != null);
        x.put("CreateStdErrPipe", stderr != null && !spec.isTerminal());
        return x;
    }

    /** Launches the process and starts the relays. */
    public void start() throws IOException {
        if (process != null) throw new IllegalStateException("already started");
        Process p = host.createProcess(processConfig());
        process = p;
        if (stdin != null && p.stdin() != null) {
            // not waited for: nothing can unblock a read of the caller's stdin once the process exits
            Thread t = Thread.ofPlatform().daemon().name("cmd-stdin").start(() -> {
                try (OutputStream to = p.stdin()) {
                    stdin.transferTo(to);
                } catch (IOException e) {
                    stdinErr.set(e);
                }
                try {
                    p.closeStdin();
                } catch (IOException e) {
                    LOG.debug("closeStdin: {}", e.toString());
                }
            });
            t.setUncaughtExceptionHandler((th, e) -> LOG.warn("stdin relay", e));
        }
        if (stdout != null && p.stdout() != null) outputs.add(copy("stdout", p.stdout(), stdout, p::closeStdout));
        if (stderr != null && p.stderr() != null) outputs.add(copy("stderr", p.stderr(), stderr, p::closeStderr));
        if (context != null) {
            context.whenComplete((v, e) -> {
                if (allDone.isDone()) return;
                try {
                    p.kill();
                } catch (IOException ex) {
                    LOG.debug("kill on cancel: {}", ex.toString());
                }
            });
        }
    }

    /** Relays one output stream; once it ended (or was cut), its pipe is closed. */
    private static StreamCopy copy(String name, InputStream from, OutputStream to, StreamCopy.Canceller close) {
        StreamCopy c = StreamCopy.start("cmd-" + name, from, to, close);
        c.done().whenComplete((n, e) -> {
            try {
                close.cancel();
            } catch (IOException ex) {
                LOG.debug("close {}: {}", name, ex.toString());
            }
        });
        return c;
    }

    /**
     * Waits for exit and for the relays; closes the process. Throws {@link ExitError} for a
     * non-zero exit, the wait error, or the first relay error.
     */
    public void waitFor() throws IOException, InterruptedException {
        if (process == null) throw new IllegalStateException("not started");
        IOException err = null;
        int code = -1;
        boolean exited = false;
        try {
            process.waitFor();
            code = process.exitCode();
            exited = true;
        } catch (IOException e) {
            err = e;
        }
        try {
            CopyAfterExit.drain(outputs, copyAfterExitTimeout).get();
        } catch (ExecutionException impossible) {
            throw new IllegalStateException(impossible);
        }
        IOException io = null;
        for (StreamCopy c : outputs) {
            Throwable t = c.done().isCompletedExceptionally() ? c.done().exceptionNow() : null;
            if (t == null) continue;
            if (c.cancelled()) LOG.warn("{} relay cut after exit: {}", c.name(), t.toString());
            else if (io == null) io = t instanceof IOException e ? e : new IOException(t);
        }
        if (io == null) io = stdinErr.get();
        allDone.complete(null);
        process.close();
        exitState = new ExitState(exited, code);
        if (err != null) throw err;
        if (exited && code != 0) throw new ExitError(exitState);
        if (io != null) throw io;
    }

    public void run() throws IOException, InterruptedException {
        start();
        waitFor();
    }

    /** Runs the command and returns its stdout; a non-zero exit's ExitError carries it too. */
    public byte[] output() throws IOException, InterruptedException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        stdout = b;
        try {
            run();
        } catch (ExitError e) {
            throw new ExitError(e.exitState(), b.toByteArray());
        }
        return b.toByteArray();
    }
}
