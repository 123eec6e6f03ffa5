package dev.hcsshim.shim.diag;

import com.sun.management.HotSpotDiagnosticMXBean;
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
import dev.hcsshim.shim.sharing.TaskGrouping;
import dev.hcsshim.shim.task.Errdefs;
import dev.hcsshim.shim.task.ProcessStatus;
import dev.hcsshim.shim.task.TaskService;
import dev.hcsshim.shim.task.TaskView;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
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
    private final DiagHost host;
    /** The task whose namespaces stand for the sandbox: the group's own id when a task has it. */
    private final String group;
    private final boolean sandbox;

    public DiagService(TaskService tasks, String shimId, Path bundle, DiagHost host) {
        this.tasks = tasks;
        this.host = host;
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
            TaskView target = !req.getTaskId().isEmpty() ? task(req.getTaskId(), "run in")
                    : sandbox ? target("run in the sandbox") : null;
            int code = host.exec(req, target);
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
            host.share(req.getHostPath(), req.getUvmPath(), req.getReadOnly(),
                    () -> req.getTaskId().isEmpty() ? target("share into") : task(req.getTaskId(), "share into"));
            return ShareResponse.getDefaultInstance();
        });
    }

    @Override
    public void diagPid(PidRequest req, StreamObserver<PidResponse> out) {
        answer(out, () -> PidResponse.newBuilder().setPid((int) ProcessHandle.current().pid()).build());
    }

    /** The sandbox's task (or the container this daemon serves), running. */
    private TaskView target(String what) {
        List<TaskView> live = tasks.tasks().stream().filter(t -> t.pid() > 0 && LIVE.contains(t.status()))
                .sorted(Comparator.comparing((TaskView t) -> !t.id().equals(group)).thenComparing(TaskView::id))
                .toList();
        if (live.isEmpty()) {
            throw Errdefs.failedPrecondition("cannot %s: this shim has no running task", what);
        }
        return live.getFirst();
    }

    /** Task {@code id} of this daemon, running: a shared daemon's diagnostics name the task they are for. */
    private TaskView task(String id, String what) {
        TaskView t = tasks.tasks().stream().filter(v -> v.id().equals(id)).findFirst()
                .orElseThrow(() -> Errdefs.notFound("cannot %s task %s: this shim does not serve it", what, id));
        if (t.pid() <= 0 || !LIVE.contains(t.status())) {
            throw Errdefs.failedPrecondition("cannot %s task %s in state %s", what, id, t.status().label());
        }
        return t;
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
            out.onError(e); // mapped once, by the server's StatusMapper interceptor
            return;
        }
        out.onNext(value);
        out.onCompleted();
    }
}
