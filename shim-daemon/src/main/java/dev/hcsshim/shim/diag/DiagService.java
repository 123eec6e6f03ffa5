package dev.hcsshim.shim.diag;

import com.sun.management.HotSpotDiagnosticMXBean;
import dev.hcsshim.linux.ExitWatcher;
import dev.hcsshim.linux.Fds;
import dev.hcsshim.nativeimage.NativeImage;
import dev.hcsshim.proto.runhcs.diag.Exec;
import dev.hcsshim.proto.runhcs.diag.ExecProcessRequest;
import dev.hcsshim.proto.runhcs.diag.ExecProcessResponse;
import dev.hcsshim.proto.runhcs.diag.PidRequest;
import dev.hcsshim.proto.runhcs.diag.PidResponse;
import dev.hcsshim.proto.runhcs.diag.ShareRequest;
import dev.hcsshim.proto.runhcs.diag.ShareResponse;
import dev.hcsshim.proto.runhcs.diag.ShimDiagGrpc;
import dev.hcsshim.proto.runhcs.diag.StacksRequest;
import dev.hcsshim.proto.runhcs.diag.StacksResponse;
import dev.hcsshim.proto.runhcs.diag.Task;
import dev.hcsshim.proto.runhcs.diag.TasksRequest;
import dev.hcsshim.proto.runhcs.diag.TasksResponse;
import dev.hcsshim.shim.TaskGrouping;
import dev.hcsshim.shim.task.Errdefs;
import dev.hcsshim.shim.task.ProcessStatus;
import dev.hcsshim.shim.task.TaskService;
import dev.hcsshim.shim.task.TaskView;
import dev.hcsshim.ttrpc.StatusMapper;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code containerd.runhcs.v1.diag.ShimDiag}, served beside the task service. On Linux the
 * "utility VM" of hcsshim is the sandbox: when this daemon serves a pod (its first task carries a
 * sandbox or group annotation), DiagExecInHost runs in the sandbox init's namespaces; otherwise on
 * the shim's host. DiagShare always targets the mount namespace of the sandbox (or the container).
 */
public final class DiagService extends ShimDiagGrpc.ShimDiagImplBase {
    private static final Logger log = LoggerFactory.getLogger(DiagService.class);
    private static final EnumSet<ProcessStatus> LIVE = EnumSet.of(ProcessStatus.CREATED, ProcessStatus.RUNNING, ProcessStatus.PAUSED);

    private final TaskService tasks;
    /** The task whose namespaces stand for the sandbox: the group's own id when a task has it. */
    private final String group;
    private final boolean sandbox;

    public DiagService(TaskService tasks, String shimId, Path bundle) {
        this.tasks = tasks;
        String g = shimId;
        boolean s = false;
        try {
            Path config = bundle.resolve("config.json");
            Map<String, String> annotations = TaskGrouping.annotations(config);
            s = annotations.containsKey(TaskGrouping.GROUP_ANNOTATION) || annotations.containsKey(TaskGrouping.SANDBOX_ANNOTATION);
            g = TaskGrouping.groupOf(shimId, config);
        } catch (IOException | RuntimeException e) {
            log.warn("cannot read the grouping of {}: {}", shimId, e.toString());
        }
        this.group = g;
        this.sandbox = s;
    }

    @Override
    public void diagExecInHost(ExecProcessRequest req, StreamObserver<ExecProcessResponse> out) {
        answer(out, () -> {
            int pid = sandbox ? targetPid("run in the sandbox") : 0;
            int code = new HostExec(req, pid).run();
            return ExecProcessResponse.newBuilder().setExitCode(code).build();
        });
    }

    @Override
    public void diagStacks(StacksRequest req, StreamObserver<StacksResponse> out) {
        answer(out, () -> StacksResponse.newBuilder().setStacks(threadDump()).build());
    }

    @Override
    public void diagTasks(TasksRequest req, StreamObserver<TasksResponse> out) {
        answer(out, () -> {
            TasksResponse.Builder b = TasksResponse.newBuilder();
            List<TaskView> views = new ArrayList<>(tasks.tasks());
            views.sort(Comparator.comparing(TaskView::id));
            for (TaskView t : views) {
                Task.Builder tb = Task.newBuilder().setId(t.id());
                if (req.getExecs()) {
                    t.execs().stream().sorted(Comparator.comparing(TaskView.ExecView::id))
                            .forEach(e -> tb.addExecs(Exec.newBuilder().setId(e.id()).setState(e.status().label())));
                }
                b.addTasks(tb);
            }
            return b.build();
        });
    }

    @Override
    public void diagShare(ShareRequest req, StreamObserver<ShareResponse> out) {
        answer(out, () -> {
            RootPaths.requireClean("host_path", req.getHostPath());
            RootPaths.requireClean("uvm_path", req.getUvmPath());
            Path host = Path.of(req.getHostPath());
            if (!Files.exists(host)) {
                throw Errdefs.notFound("host path %s does not exist", req.getHostPath());
            }
            share(host, req.getUvmPath(), req.getReadOnly(), targetPid("share into"));
            return ShareResponse.getDefaultInstance();
        });
    }

    @Override
    public void diagPid(PidRequest req, StreamObserver<PidResponse> out) {
        answer(out, () -> PidResponse.newBuilder().setPid((int) ProcessHandle.current().pid()).build());
    }

    /** The init pid of the sandbox (or of the container this daemon serves). */
    private int targetPid(String what) {
        List<TaskView> live = tasks.tasks().stream().filter(t -> t.pid() > 0 && LIVE.contains(t.status()))
                .sorted(Comparator.comparing((TaskView t) -> !t.id().equals(group)).thenComparing(TaskView::id))
                .toList();
        if (live.isEmpty()) {
            throw Errdefs.failedPrecondition("cannot %s: this shim has no running task", what);
        }
        return live.getFirst().pid();
    }

    /**
     * Bind-mounts {@code host} at {@code target} in the mount namespace of {@code pid}: a detached
     * copy of the host path (made read-only before it is attached) moved into place by a helper
     * that nsenter put into that namespace (see {@link MountHelper}).
     */
    private static void share(Path host, String target, boolean readOnly, int pid) throws IOException, InterruptedException {
        Path root = Path.of("/proc/" + pid + "/root");
        Path mountpoint = RootPaths.resolve(root, target);
        if (!Files.exists(mountpoint)) {
            try {
                Files.createDirectories(mountpoint.getParent());
                if (Files.isDirectory(host)) {
                    Files.createDirectory(mountpoint);
                } else {
                    Files.createFile(mountpoint);
                }
            } catch (IOException e) {
                throw Errdefs.failedPrecondition("cannot create the mount point %s in the container: %s", target, e.toString());
            }
        } else if (Files.isDirectory(mountpoint) != Files.isDirectory(host)) {
            throw Errdefs.invalidArgument("%s and %s are not both directories or both files", host, target);
        }
        int tree = DiagSys.openTreeClone(host.toString(), readOnly);
        try {
            List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Integer.toString(pid), "-m", "--root=/", "--wd=/"));
            cmd.addAll(mountHelper());
            cmd.addAll(List.of(Long.toString(ProcessHandle.current().pid()), Integer.toString(tree), mountpoint.toString()));
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectInput(new java.io.File("/dev/null"));
            Process p = ExitWatcher.shared().spawn(pb);
            String output;
            try (var in = p.getInputStream()) {
                output = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            }
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw Errdefs.unavailable("mount helper did not finish in time");
            }
            if (p.exitValue() != 0) {
                throw Errdefs.failedPrecondition("cannot share %s at %s: %s", host, target, output);
            }
            log.info("shared {} at {} ({}) in the mount namespace of pid {}", host, target, readOnly ? "ro" : "rw", pid);
        } finally {
            Fds.closeQuietly(tree);
        }
    }

    /** The command that runs {@link MountHelper}: this native executable, or a small JVM. */
    private static List<String> mountHelper() {
        if (NativeImage.inExecutable()) {
            return List.of(NativeImage.executable().toString(), MountHelper.COMMAND);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return List.of(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx32m", "-Xlog:disable",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), MountHelper.class.getName());
    }

    /** Every thread of the daemon, virtual ones included, with its stack. */
    private static String threadDump() throws IOException {
        if (NativeImage.inExecutable()) {
            return NativeImage.threadDump();
        }
        Path dir = Files.createTempDirectory("shimdiag-stacks");
        Path file = dir.resolve("threads.txt");
        try {
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .dumpThreads(file.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.TEXT_PLAIN);
            return Files.readString(file);
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }

    private static <T> void answer(StreamObserver<T> out, Callable<T> handler) {
        T value;
        try {
            value = handler.call();
        } catch (Exception e) {
            if (!(e instanceof io.grpc.StatusRuntimeException)) {
                log.warn("diag call failed", e);
            }
            out.onError(StatusMapper.toStatus(e).asRuntimeException());
            return;
        }
        out.onNext(value);
        out.onCompleted();
    }
}
