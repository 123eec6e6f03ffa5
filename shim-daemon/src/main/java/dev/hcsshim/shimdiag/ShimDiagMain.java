package dev.hcsshim.shimdiag;

import dev.hcsshim.shim.task.Version;
import ch.qos.logback.classic.LoggerContext;
import dev.hcsshim.proto.runhcs.diag.Exec;
import dev.hcsshim.proto.runhcs.diag.ExecProcessRequest;
import dev.hcsshim.proto.runhcs.diag.PidRequest;
import dev.hcsshim.proto.runhcs.diag.ShareRequest;
import dev.hcsshim.proto.runhcs.diag.ShimDiagGrpc;
import dev.hcsshim.proto.runhcs.diag.StacksRequest;
import dev.hcsshim.proto.runhcs.diag.StacksResponse;
import dev.hcsshim.proto.runhcs.diag.Task;
import dev.hcsshim.proto.runhcs.diag.TasksRequest;
import dev.hcsshim.shim.ShimInfo;
import dev.hcsshim.shim.ShimLogProvider;
import dev.hcsshim.transport.NettyDefaults;
import dev.hcsshim.ttrpc.TtrpcClient;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code shimdiag}: diagnostics for running containerd-shim-runhcs-v1 daemons, over their ttrpc endpoint. */
@Command(name = "shimdiag", mixinStandardHelpOptions = true, versionProvider = ShimDiagMain.Version.class,
        description = "Diagnose running containerd-shim-runhcs-v1 daemons.",
        subcommands = {ShimDiagMain.ListCmd.class, ShimDiagMain.ExecCmd.class, ShimDiagMain.StacksCmd.class,
                ShimDiagMain.TasksCmd.class, ShimDiagMain.ShareCmd.class, ShimDiagMain.PidCmd.class})
public final class ShimDiagMain implements Callable<Integer> {
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);
    static final PrintStream OUT = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    static final PrintStream ERR = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);

    @Option(names = "--socket-dir", paramLabel = "DIR",
            description = "Where the shims' sockets are (default: $HCSSHIM_SOCKET_DIR, else ${DEFAULT-VALUE}).",
            defaultValue = "${env:HCSSHIM_SOCKET_DIR:-/run/containerd/runhcs}")
    Path socketDir;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        NettyDefaults.apply();
        quietLogging();
        CommandLine cl = new CommandLine(new ShimDiagMain());
        cl.getSubcommands().get("exec").setStopAtPositional(true);
        cl.setParameterExceptionHandler((e, a) -> {
            ERR.println("shimdiag: " + e.getMessage() + " (see --help)");
            return 2;
        });
        cl.setExecutionExceptionHandler((e, c, r) -> {
            ERR.println("shimdiag: " + message(e));
            return 1;
        });
        System.exit(cl.execute(args));
    }

    /** The CLI prints results and one line per error; the libraries' loggers print nothing. */
    private static void quietLogging() {
        ShimLogProvider.select();
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext lc) {
            lc.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAndStopAllAppenders();
        }
    }

    private static String message(Throwable e) {
        if (e instanceof Shims.DiagException) {
            return e.getMessage();
        }
        if (e instanceof StatusRuntimeException sre) {
            String d = sre.getStatus().getDescription();
            return "shim refused: " + sre.getStatus().getCode() + (d == null || d.isEmpty() ? "" : ": " + d);
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(OUT);
        return 0;
    }

    /** Calls one method of the shim named {@code shim}. */
    <Q, R> R call(String shim, MethodDescriptor<Q, R> method, Q request, Duration timeout) throws Shims.DiagException {
        return call(Shims.find(socketDir, shim).shim(), method, request, timeout);
    }

    <Q, R> R call(ShimInfo info, MethodDescriptor<Q, R> method, Q request, Duration timeout) {
        try (TtrpcClient client = TtrpcClient.forAddress(info.address())) {
            return client.blockingCall(method, request, new Metadata(), timeout);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"shimdiag " + dev.hcsshim.shim.task.Version.VERSION};
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the running shims (<namespace>-<id>) and the tasks each serves.")
    static final class ListCmd implements Callable<Integer> {
        @ParentCommand
        ShimDiagMain top;

        @Option(names = "--pids", description = "Also show each shim's pid.")
        boolean pids;

        @Override
        public Integer call() throws Exception {
            for (ShimInfo s : Shims.live(top.socketDir)) {
                String tasks = String.join(",", Shims.tasksOf(s));
                OUT.println(pids ? s.name() + "\t" + s.pid() + "\t" + tasks : s.name() + "\t" + tasks);
            }
            return 0;
        }
    }

    @Command(name = "exec", mixinStandardHelpOptions = true,
            description = "Run a command in the shim's host (in the sandbox's namespaces for a pod's shim), relaying stdio; exits with its exit code.")
    static final class ExecCmd implements Callable<Integer> {
        @ParentCommand
        ShimDiagMain top;

        @Option(names = {"-t", "--tty"}, description = "Give the command a terminal (the caller's terminal goes raw).")
        boolean tty;

        @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "Working directory of the command.")
        String workdir = "";

        @Parameters(index = "0", paramLabel = "SHIM", description = "Shim or task name (<namespace>-<id>), or a unique prefix of one.")
        String shim;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "Command and its arguments.")
        List<String> command = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            Shims.Target target = Shims.find(top.socketDir, shim);
            return new ExecRelay(target.shim(), target.taskId(), command, workdir, tty).run();
        }
    }

    @Command(name = "stacks", mixinStandardHelpOptions = true, description = "Print every thread of the shim daemon with its stack.")
    static final class StacksCmd implements Callable<Integer> {
        @ParentCommand
        ShimDiagMain top;

        @Parameters(index = "0", paramLabel = "SHIM", description = "Shim or task name (<namespace>-<id>), or a unique prefix of one.")
        String shim;

        @Override
        public Integer call() throws Exception {
            StacksResponse r = top.call(shim, ShimDiagGrpc.getDiagStacksMethod(), StacksRequest.getDefaultInstance(), CALL_TIMEOUT);
            OUT.print(r.getStacks());
            if (!r.getGuestStacks().isEmpty()) {
                OUT.println();
                OUT.println("=== guest ===");
                OUT.print(r.getGuestStacks());
            }
            return 0;
        }
    }

    @Command(name = "tasks", mixinStandardHelpOptions = true, description = "List the tasks the shim serves.")
    static final class TasksCmd implements Callable<Integer> {
        @ParentCommand
        ShimDiagMain top;

        @Option(names = "--execs", description = "Also list each task's execs and their states.")
        boolean execs;

        @Parameters(index = "0", paramLabel = "SHIM", description = "Shim or task name (<namespace>-<id>), or a unique prefix of one.")
        String shim;

        @Override
        public Integer call() throws Exception {
            var r = top.call(shim, ShimDiagGrpc.getDiagTasksMethod(), TasksRequest.newBuilder().setExecs(execs).build(), CALL_TIMEOUT);
            for (Task t : r.getTasksList()) {
                OUT.println(t.getId());
                for (Exec e : t.getExecsList()) {
                    OUT.println("  " + e.getId() + "\t" + e.getState());
                }
            }
            return 0;
        }
    }

    @Command(name = "share", mixinStandardHelpOptions = true,
            description = "Bind-mount HOST_PATH at UVM_PATH inside the shim's sandbox (or container).")
    static final class ShareCmd implements Callable<Integer> {
        @ParentCommand
        ShimDiagMain top;

        @Option(names = "--ro", description = "Share read-only.")
        boolean readOnly;

        @Parameters(index = "0", paramLabel = "SHIM", description = "Shim or task name (<namespace>-<id>), or a unique prefix of one.")
        String shim;

        @Parameters(index = "1", paramLabel = "HOST_PATH", description = "Absolute path on the host.")
        String hostPath;

        @Parameters(index = "2", paramLabel = "UVM_PATH", description = "Absolute path inside the sandbox or container.")
        String uvmPath;

        @Override
        public Integer call() throws Exception {
            Shims.Target target = Shims.find(top.socketDir, shim);
            top.call(target.shim(), ShimDiagGrpc.getDiagShareMethod(), ShareRequest.newBuilder().setHostPath(hostPath)
                    .setUvmPath(uvmPath).setReadOnly(readOnly).setTaskId(target.taskId()).build(), CALL_TIMEOUT);
            return 0;
        }
    }

    @Command(name = "pid", mixinStandardHelpOptions = true, description = "Print the shim daemon's pid.")
    static final class PidCmd implements Callable<Integer> {
        @ParentCommand
        ShimDiagMain top;

        @Parameters(index = "0", paramLabel = "SHIM", description = "Shim or task name (<namespace>-<id>), or a unique prefix of one.")
        String shim;

        @Override
        public Integer call() throws Exception {
            OUT.println(top.call(shim, ShimDiagGrpc.getDiagPidMethod(), PidRequest.getDefaultInstance(), CALL_TIMEOUT).getPid());
            return 0;
        }
    }
}
