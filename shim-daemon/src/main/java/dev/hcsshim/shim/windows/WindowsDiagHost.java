package dev.hcsshim.shim.windows;

import dev.hcsshim.cow.ProcessHost;
import dev.hcsshim.hcsoci.ExecInUvm;
import dev.hcsshim.proto.runhcs.diag.ExecProcessRequest;
import dev.hcsshim.shim.diag.DiagHost;
import dev.hcsshim.shim.task.Errdefs;
import dev.hcsshim.shim.task.TaskView;
import dev.hcsshim.transport.PipeDialer;
import dev.hcsshim.windows.NpipeIO;
import io.grpc.Context;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Diag on Windows, as hcsshim's hcsTask: exec goes into the task's utility VM when it has one
 * (hcsoci's ExecInUvm) and otherwise runs on the shim's own host; share needs a utility VM, which a
 * process-isolated task does not have.
 */
public final class WindowsDiagHost implements DiagHost {
    private static final Logger log = LoggerFactory.getLogger(WindowsDiagHost.class);
    /** Output still flowing from a host process's leftover children after it exited: then stop. */
    private static final Duration DRAIN_AFTER_EXIT = Duration.ofSeconds(2);

    private final PipeDialer dialer;
    private final Function<String, ProcessHost> utilityVm;

    /**
     * @param dialer connects to the caller's stdio pipes
     * @param utilityVm the utility VM of a task id, or null for a process-isolated task
     */
    public WindowsDiagHost(PipeDialer dialer, Function<String, ProcessHost> utilityVm) {
        this.dialer = dialer;
        this.utilityVm = utilityVm;
    }

    @Override
    public int exec(ExecProcessRequest req, TaskView sandbox) throws IOException, InterruptedException {
        if (req.getArgsCount() == 0 || req.getArgs(0).isEmpty()) {
            throw Errdefs.invalidArgument("no command to run: args are empty");
        }
        ProcessHost vm = sandbox == null ? null : utilityVm.apply(sandbox.id());
        if (vm == null) {
            return execInShimHost(req);
        }
        CompletableFuture<Void> cancelled = new CompletableFuture<>();
        Context call = Context.current();
        Context.CancellationListener onCancel = c -> cancelled.complete(null);
        call.addListener(onCancel, Runnable::run);
        try {
            return ExecInUvm.exec(cancelled, vm, new ExecInUvm.Request(req.getArgsList(), req.getWorkdir(), req.getTerminal(),
                    req.getStdin(), req.getStdout(), req.getStderr()), (in, out, err, tty) -> NpipeIO.open(dialer, in, out, err, tty));
        } finally {
            call.removeListener(onCancel);
        }
    }

    /** hcsshim shares into a utility VM only; a process-isolated task is "not isolated". */
    @Override
    public void share(String hostPath, String target, boolean readOnly, Supplier<TaskView> task) {
        throw Errdefs.failedPrecondition("cannot share into %s: the task is not isolated (no utility VM)", task.get().id());
    }

    /** hcsshim's ExecInShimHost: the command on the shim's host, its stdio relayed to the caller's pipes. */
    private int execInShimHost(ExecProcessRequest req) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(req.getArgsList()).redirectErrorStream(req.getTerminal());
        if (!req.getWorkdir().isEmpty()) {
            pb.directory(new File(req.getWorkdir()));
        }
        try (NpipeIO io = NpipeIO.open(dialer, req.getStdin(), req.getStdout(), req.getStderr(), req.getTerminal())) {
            Process process;
            try {
                process = pb.start();
            } catch (IOException e) {
                throw Errdefs.failedPrecondition("cannot start %s: %s", req.getArgs(0), e.getMessage());
            }
            log.info("diag exec {} on the shim host (pid {})", req.getArgsList(), process.pid());
            Context call = Context.current();
            // a caller that goes away (cancel, deadline) takes the process with it
            Context.CancellationListener onCancel = c -> {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            };
            call.addListener(onCancel, Runnable::run);
            List<Thread> outputs = new ArrayList<>();
            try {
                relay("stdin", io.stdin(), process.getOutputStream());
                outputs.add(relay("stdout", process.getInputStream(), io.stdout()));
                if (!req.getTerminal()) {
                    outputs.add(relay("stderr", process.getErrorStream(), io.stderr()));
                }
                int code = process.waitFor();
                long deadline = System.nanoTime() + DRAIN_AFTER_EXIT.toNanos();
                for (Thread t : outputs) {
                    t.join(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
                }
                return code;
            } finally {
                call.removeListener(onCancel);
                process.getInputStream().close();
                process.getErrorStream().close();
                if (process.isAlive()) {
                    process.destroyForcibly();
                }
            }
        }
    }

    /** Copies until end of stream, then closes both sides (the reader sees EOF); a missing side discards or ends at once. */
    private static Thread relay(String name, InputStream from, OutputStream to) {
        return Thread.ofVirtual().name("diag-" + name).start(() -> {
            try (InputStream in = from != null ? from : InputStream.nullInputStream();
                    OutputStream out = to != null ? to : OutputStream.nullOutputStream()) {
                in.transferTo(out);
            } catch (IOException e) {
                log.debug("diag {} relay ended: {}", name, e.toString());
            }
        });
    }
}
