package dev.hcsshim.shim.task;

import com.google.protobuf.Empty;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.hcsshim.proto.events.TaskCheckpointed;
import dev.hcsshim.proto.events.TaskCreate;
import dev.hcsshim.proto.events.TaskDelete;
import dev.hcsshim.proto.events.TaskExecAdded;
import dev.hcsshim.proto.events.TaskExecStarted;
import dev.hcsshim.proto.events.TaskIO;
import dev.hcsshim.proto.events.TaskOOM;
import dev.hcsshim.proto.events.TaskPaused;
import dev.hcsshim.proto.events.TaskResumed;
import dev.hcsshim.proto.events.TaskStart;
import dev.hcsshim.proto.runhcs.options.Options;
import dev.hcsshim.proto.task.v2.CheckpointTaskRequest;
import dev.hcsshim.proto.task.v2.CloseIORequest;
import dev.hcsshim.proto.task.v2.ConnectRequest;
import dev.hcsshim.proto.task.v2.ConnectResponse;
import dev.hcsshim.proto.task.v2.CreateTaskRequest;
import dev.hcsshim.proto.task.v2.CreateTaskResponse;
import dev.hcsshim.proto.task.v2.DeleteRequest;
import dev.hcsshim.proto.task.v2.DeleteResponse;
import dev.hcsshim.proto.task.v2.ExecProcessRequest;
import dev.hcsshim.proto.task.v2.KillRequest;
import dev.hcsshim.proto.task.v2.PauseRequest;
import dev.hcsshim.proto.task.v2.PidsRequest;
import dev.hcsshim.proto.task.v2.PidsResponse;
import dev.hcsshim.proto.task.v2.ResizePtyRequest;
import dev.hcsshim.proto.task.v2.ResumeRequest;
import dev.hcsshim.proto.task.v2.ShutdownRequest;
import dev.hcsshim.proto.task.v2.StartRequest;
import dev.hcsshim.proto.task.v2.StartResponse;
import dev.hcsshim.proto.task.v2.StateRequest;
import dev.hcsshim.proto.task.v2.StateResponse;
import dev.hcsshim.proto.task.v2.StatsRequest;
import dev.hcsshim.proto.task.v2.StatsResponse;
import dev.hcsshim.proto.task.v2.TaskGrpc;
import dev.hcsshim.proto.task.v2.UpdateTaskRequest;
import dev.hcsshim.proto.task.v2.WaitRequest;
import dev.hcsshim.proto.task.v2.WaitResponse;
import dev.hcsshim.proto.types.task.ProcessInfo;
import dev.hcsshim.shim.IdRules;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code containerd.task.v2.Task}: validates each request, finds the task and process, and lets
 * their state machines and the backend do the rest. Written once as a gRPC service; the ttrpc
 * server serves it to containerd 1.x and the gRPC endpoint to gRPC clients (and as task.v3).
 */
public final class TaskService extends TaskGrpc.TaskImplBase {
    private static final Logger log = LoggerFactory.getLogger(TaskService.class);

    private final String namespace;
    private final TaskBackend backend;
    private final EventSink events;
    private final Options defaultOptions;
    private final Runnable onShutdown;
    private final Map<String, ShimTask> tasks = new ConcurrentHashMap<>();

    public TaskService(String namespace, TaskBackend backend, EventSink events, Options defaultOptions, Runnable onShutdown) {
        this.namespace = namespace;
        this.backend = backend;
        this.events = events;
        this.defaultOptions = defaultOptions;
        this.onShutdown = onShutdown;
    }

    /** The tasks this daemon serves, for diagnostics. */
    public List<TaskView> tasks() {
        List<TaskView> out = new ArrayList<>();
        for (ShimTask t : tasks.values()) {
            List<TaskView.ExecView> execs = t.execs().stream()
                    .map(e -> new TaskView.ExecView(e.execId, e.pid(), e.status()))
                    .toList();
            out.add(new TaskView(t.id, t.bundle, t.init.pid(), t.init.status(), execs));
        }
        return out;
    }

    @Override
    public void create(CreateTaskRequest req, StreamObserver<CreateTaskResponse> out) {
        answer(out, () -> {
            IdRules.requireValid("task id", req.getId());
            if (req.getTerminal() && !req.getStderr().isEmpty()) {
                throw Errdefs.invalidArgument("a terminal has no separate stderr (task %s)", req.getId());
            }
            Options options = optionsOf(req);
            StdioSpec stdio = new StdioSpec(req.getStdin(), req.getStdout(), req.getStderr(), req.getTerminal());
            ShimProcess init = new ShimProcess(req.getId(), "", stdio, null);
            synchronized (tasks) {
                if (tasks.containsKey(req.getId())) {
                    throw Errdefs.alreadyExists("task %s already exists", req.getId());
                }
                CreateSpec spec = new CreateSpec(namespace, req.getId(), Path.of(req.getBundle()),
                        req.getRootfsList(), stdio, req.getCheckpoint(), options);
                TaskBackend.Task created = backend.create(spec);
                init.attach(created.init());
                ShimTask task = new ShimTask(req.getId(), req.getBundle(), init, created, events);
                tasks.put(req.getId(), task);
                synchronized (task) {
                    events.publish("/tasks/create", TaskCreate.newBuilder()
                            .setContainerId(req.getId())
                            .setBundle(req.getBundle())
                            .addAllRootfs(req.getRootfsList())
                            .setIo(TaskIO.newBuilder().setStdin(req.getStdin()).setStdout(req.getStdout())
                                    .setStderr(req.getStderr()).setTerminal(req.getTerminal()))
                            .setCheckpoint(req.getCheckpoint())
                            .setPid(init.pid())
                            .build());
                    task.watchExit(init);
                }
                try {
                    created.watchOom(() -> events.publish("/tasks/oom", TaskOOM.newBuilder().setContainerId(req.getId()).build()));
                } catch (IOException e) {
                    log.warn("task {} runs without OOM events: {}", req.getId(), e.getMessage());
                }
            }
            log.info("created task {} (pid {})", req.getId(), init.pid());
            return CreateTaskResponse.newBuilder().setPid(init.pid()).build();
        });
    }

    @Override
    public void start(StartRequest req, StreamObserver<StartResponse> out) {
        answer(out, () -> {
            ShimTask task = task(req.getId());
            ShimProcess p = task.process(req.getExecId());
            synchronized (task) {
                p.require("start", ShimProcess.CREATED_ONLY);
                if (p.isInit()) {
                    task.backend().start();
                    p.moveTo(ProcessStatus.RUNNING);
                    events.publish("/tasks/start", TaskStart.newBuilder().setContainerId(task.id).setPid(p.pid()).build());
                } else {
                    task.init.require("start an exec in", ShimProcess.LIVE);
                    p.attach(task.backend().exec(p.execId, p.stdio, p.execSpec));
                    p.moveTo(ProcessStatus.RUNNING);
                    events.publish("/tasks/exec-started", TaskExecStarted.newBuilder()
                            .setContainerId(task.id).setExecId(p.execId).setPid(p.pid()).build());
                    task.watchExit(p);
                }
            }
            return StartResponse.newBuilder().setPid(p.pid()).build();
        });
    }

    @Override
    public void delete(DeleteRequest req, StreamObserver<DeleteResponse> out) {
        answer(out, () -> {
            ShimTask task = task(req.getId());
            ShimProcess p = task.process(req.getExecId());
            if (!p.isInit()) {
                synchronized (task) {
                    p.require("delete", ShimProcess.DELETABLE);
                    task.removeExec(p);
                }
                if (p.backend() != null) {
                    p.backend().close();
                }
                p.markNeverRan();
                return deleteResponse(p);
            }
            synchronized (task) {
                p.require("delete", ShimProcess.DELETABLE);
                for (ShimProcess exec : task.liveExecs()) {
                    // runc's shim does the same: execs do not outlive the task they belong to.
                    signalQuietly(exec, 9);
                }
                task.backend().delete();
                p.backend().close();
                p.markNeverRan();
                p.moveTo(ProcessStatus.DELETED);
                tasks.remove(task.id);
                ExitStatus exit = p.exit();
                events.publish("/tasks/delete", TaskDelete.newBuilder()
                        .setContainerId(task.id).setPid(p.pid())
                        .setExitStatus(exit.status()).setExitedAt(exit.exitedAtProto()).build());
            }
            log.info("deleted task {}", task.id);
            return deleteResponse(p);
        });
    }

    @Override
    public void exec(ExecProcessRequest req, StreamObserver<Empty> out) {
        answer(out, () -> {
            ShimTask task = task(req.getId());
            IdRules.requireValid("exec id", req.getExecId());
            String specType = req.getSpec().getTypeUrl();
            if (!specType.isEmpty() && !specType.endsWith("/Process")) {
                throw Errdefs.invalidArgument("exec spec must be an OCI process, got %s", req.getSpec().getTypeUrl());
            }
            if (req.getSpec().getValue().isEmpty()) {
                throw Errdefs.invalidArgument("exec %s has no process spec", req.getExecId());
            }
            if (req.getTerminal() && !req.getStderr().isEmpty()) {
                throw Errdefs.invalidArgument("a terminal has no separate stderr (exec %s)", req.getExecId());
            }
            StdioSpec stdio = new StdioSpec(req.getStdin(), req.getStdout(), req.getStderr(), req.getTerminal());
            ShimProcess exec = new ShimProcess(task.id, req.getExecId(), stdio, req.getSpec().getValue().toByteArray());
            synchronized (task) {
                task.addExec(exec);
                events.publish("/tasks/exec-added", TaskExecAdded.newBuilder()
                        .setContainerId(task.id).setExecId(req.getExecId()).build());
            }
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void kill(KillRequest req, StreamObserver<Empty> out) {
        answer(out, () -> {
            ShimTask task = task(req.getId());
            ShimProcess p = task.process(req.getExecId());
            int signal = req.getSignal() == 0 ? 15 : req.getSignal();
            synchronized (task) {
                if (p.status() == ProcessStatus.STOPPED || p.status() == ProcessStatus.DELETED) {
                    if (!req.getAll()) {
                        throw Errdefs.notFound("process already finished (%s)", p.describe());
                    }
                }
                if (p.isInit()) {
                    task.backend().kill(signal, req.getAll());
                } else {
                    p.require("kill", ShimProcess.LIVE);
                    p.backend().signal(signal);
                }
            }
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void state(StateRequest req, StreamObserver<StateResponse> out) {
        answer(out, () -> {
            ShimTask task = task(req.getId());
            ShimProcess p = task.process(req.getExecId());
            synchronized (task) {
                StateResponse.Builder b = StateResponse.newBuilder()
                        .setId(p.processId())
                        .setBundle(task.bundle)
                        .setPid(p.pid())
                        .setStatus(p.status().toProto())
                        .setStdin(p.stdio.stdin())
                        .setStdout(p.stdio.stdout())
                        .setStderr(p.stdio.stderr())
                        .setTerminal(p.stdio.terminal())
                        .setExecId(p.execId);
                if (p.exit() != null) {
                    b.setExitStatus(p.exit().status()).setExitedAt(p.exit().exitedAtProto());
                }
                return b.build();
            }
        });
    }

    @Override
    public void pids(PidsRequest req, StreamObserver<PidsResponse> out) {
        answer(out, () -> {
            ShimTask task = task(req.getId());
            Map<Integer, String> execByPid = new java.util.HashMap<>();
            for (ShimProcess e : task.execs()) {
                if (e.pid() > 0) {
                    execByPid.put(e.pid(), e.execId);
                }
            }
            PidsResponse.Builder b = PidsResponse.newBuilder();
            for (int pid : task.backend().pids()) {
                ProcessInfo.Builder info = ProcessInfo.newBuilder().setPid(pid);
                String execId = execByPid.get(pid);
                if (execId != null) {
                    info.setInfo(task.backend().execDetails(execId, pid));
                }
                b.addProcesses(info);
            }
            return b.build();
        });
    }

    @Override
    public void pause(PauseRequest req, StreamObserver<Empty> out) {
        answer(out, () -> {
            ShimTask task = task(req.getId());
            synchronized (task) {
                task.init.require("pause", java.util.EnumSet.of(ProcessStatus.RUNNING));
                task.backend().pause();
                task.init.moveTo(ProcessStatus.PAUSED);
                events.publish("/tasks/paused", TaskPaused.newBuilder().setContainerId(task.id).build());
            }
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void resume(ResumeRequest req, StreamObserver<Empty> out) {
        answer(out, () -> {
            ShimTask task = task(req.getId());
            synchronized (task) {
                task.init.require("resume", java.util.EnumSet.of(ProcessStatus.PAUSED));
                task.backend().resume();
                task.init.moveTo(ProcessStatus.RUNNING);
                events.publish("/tasks/resumed", TaskResumed.newBuilder().setContainerId(task.id).build());
            }
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void checkpoint(CheckpointTaskRequest req, StreamObserver<Empty> out) {
        answer(out, () -> {
            ShimTask task = task(req.getId());
            if (req.getPath().isEmpty() || !Path.of(req.getPath()).isAbsolute()) {
                throw Errdefs.invalidArgument("checkpoint path must be absolute, got %s", req.getPath());
            }
            synchronized (task) {
                task.init.require("checkpoint", ShimProcess.LIVE);
                task.backend().checkpoint(Path.of(req.getPath()), req.getOptions());
                events.publish("/tasks/checkpointed", TaskCheckpointed.newBuilder()
                        .setContainerId(task.id).setCheckpoint(req.getPath()).build());
            }
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void resizePty(ResizePtyRequest req, StreamObserver<Empty> out) {
        answer(out, () -> {
            ShimTask task = task(req.getId());
            ShimProcess p = task.process(req.getExecId());
            if (p.stdio.terminal() && p.backend() != null) {
                p.backend().resize(req.getWidth(), req.getHeight());
            }
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void closeIO(CloseIORequest req, StreamObserver<Empty> out) {
        answer(out, () -> {
            ShimTask task = task(req.getId());
            ShimProcess p = task.process(req.getExecId());
            if (req.getStdin() && p.backend() != null) {
                p.backend().closeStdin();
            }
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void update(UpdateTaskRequest req, StreamObserver<Empty> out) {
        answer(out, () -> {
            ShimTask task = task(req.getId());
            if (req.getResources().getValue().isEmpty()) {
                throw Errdefs.invalidArgument("update of task %s carries no resources", req.getId());
            }
            synchronized (task) {
                task.init.require("update", ShimProcess.LIVE);
                task.backend().update(req.getResources().getValue().toByteArray());
            }
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void wait(WaitRequest req, StreamObserver<WaitResponse> out) {
        ShimProcess p;
        try {
            p = task(req.getId()).process(req.getExecId());
        } catch (RuntimeException e) {
            out.onError(e);
            return;
        }
        // No thread waits: the answer goes out when the exit is recorded.
        p.exitedFuture().whenComplete((exit, error) -> {
            if (error != null) {
                out.onError(error);
            } else {
                out.onNext(WaitResponse.newBuilder().setExitStatus(exit.status()).setExitedAt(exit.exitedAtProto()).build());
                out.onCompleted();
            }
        });
    }

    @Override
    public void stats(StatsRequest req, StreamObserver<StatsResponse> out) {
        answer(out, () -> {
            ShimTask task = task(req.getId());
            task.init.require("collect stats of", ShimProcess.LIVE);
            return StatsResponse.newBuilder().setStats(task.backend().stats()).build();
        });
    }

    @Override
    public void connect(ConnectRequest req, StreamObserver<ConnectResponse> out) {
        answer(out, () -> {
            ShimTask task = task(req.getId());
            return ConnectResponse.newBuilder()
                    .setShimPid((int) ProcessHandle.current().pid())
                    .setTaskPid(task.init.pid())
                    .setVersion(dev.hcsshim.shim.Version.VERSION)
                    .build();
        });
    }

    @Override
    public void shutdown(ShutdownRequest req, StreamObserver<Empty> out) {
        out.onNext(Empty.getDefaultInstance());
        out.onCompleted();
        // A grouped daemon serves other tasks: only the last one's Shutdown ends it.
        if (tasks.isEmpty()) {
            log.info("shutdown requested with no tasks left: exiting");
            onShutdown.run();
        }
    }

    private ShimTask task(String id) {
        ShimTask task = tasks.get(id);
        if (task == null) {
            throw Errdefs.notFound("task %s not found", id);
        }
        return task;
    }

    private Options optionsOf(CreateTaskRequest req) {
        if (!req.hasOptions() || req.getOptions().getTypeUrl().isEmpty()) {
            return defaultOptions;
        }
        try {
            return TypeUrls.unpack(req.getOptions(), Options.getDefaultInstance());
        } catch (InvalidProtocolBufferException e) {
            throw Errdefs.invalidArgument("runtime options of task %s: %s", req.getId(), e.getMessage());
        }
    }

    private static DeleteResponse deleteResponse(ShimProcess p) {
        ExitStatus exit = p.exit();
        return DeleteResponse.newBuilder()
                .setPid(p.pid())
                .setExitStatus(exit.status())
                .setExitedAt(exit.exitedAtProto())
                .build();
    }

    private static void signalQuietly(ShimProcess p, int signal) {
        try {
            p.backend().signal(signal);
        } catch (IOException | RuntimeException e) {
            log.debug("signal {} to {}: {}", signal, p.describe(), e.toString());
        }
    }

    /** Runs a unary handler: its value is the answer, its exception the status (mapped once, by the server's StatusMapper interceptor). */
    private static <T> void answer(StreamObserver<T> out, Callable<T> handler) {
        T value;
        try {
            value = handler.call();
        } catch (Exception e) {
            out.onError(e);
            return;
        }
        out.onNext(value);
        out.onCompleted();
    }
}
