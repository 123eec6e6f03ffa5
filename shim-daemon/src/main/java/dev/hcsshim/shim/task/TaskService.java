package dev.hcsshim.shim.task;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Any;
import com.google.protobuf.Empty;
import com.google.protobuf.Timestamp;
import dev.hcsshim.process.ExitStatus;
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
import dev.hcsshim.shim.task.IdRules;
import io.grpc.MethodDescriptor;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code containerd.task.v2.Task}: validates each request, finds the task and process, and lets
 * their state machines and the backend do the rest. Written once as a gRPC service; the ttrpc
 * server serves it to containerd 1.x and the gRPC endpoint to gRPC clients (and as task.v3).
 *
 * <p>Bad input is refused with InvalidArgument before any runtime call. No lock is held across a
 * runtime call: a Create reserves its id and commits the new task once the backend is done; the
 * other runtime calls run as {@link ShimTask#transition transitions}; so Creates of different
 * tasks run in parallel, and State, Kill and Wait never queue behind a runtime call.
 */
public final class TaskService extends TaskGrpc.TaskImplBase {
    private static final Logger log = LoggerFactory.getLogger(TaskService.class);

    /** Built on first use (an Update): an ObjectMapper costs a daemon ~25 ms before it could serve. */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    /** The highest signal number Linux has (SIGRTMAX); Windows' console events are below it. */
    static final int MAX_SIGNAL = 64;

    private final String namespace;
    private final TaskBackend backend;
    private final EventSink events;
    /** The handler's options from {@code start}; null when containerd passed none. */
    private final Options defaultOptions;
    private final Runnable onShutdown;
    private final Map<String, ShimTask> tasks = new ConcurrentHashMap<>();
    /** Ids of the tasks whose Create is under way; a task leaves it only once it is in {@link #tasks}. */
    private final Set<String> creating = ConcurrentHashMap.newKeySet();

    public TaskService(String namespace, TaskBackend backend, EventSink events, Options defaultOptions, Runnable onShutdown) {
        this.namespace = namespace;
        this.backend = backend;
        this.events = events;
        this.defaultOptions = defaultOptions;
        this.onShutdown = onShutdown;
    }

    /** The methods of {@link #answersWithoutBlocking}, by bare name. */
    private static final Set<String> NON_BLOCKING = Set.of("State", "Connect", "Exec", "Wait");

    /**
     * Whether {@code method} is one of this service's (under any of its names: task.v2, task.v3)
     * whose handlers never block, so that the ttrpc server may run them on its I/O thread: State
     * and Connect read the tasks in memory, Exec records a process that Start will run, and Wait
     * answers from whichever thread records the exit. Everything that runs the OCI runtime, reads
     * files or waits stays on the handler threads.
     */
    public static boolean answersWithoutBlocking(MethodDescriptor<?, ?> method) {
        String service = method.getServiceName();
        return service != null && service.startsWith("containerd.task.") && service.endsWith(".Task")
                && NON_BLOCKING.contains(method.getBareMethodName());
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
            Options options = optionsOf(req);
            // A terminal merges stderr into stdout; CRI names a stderr FIFO anyway, which stays unused.
            StdioSpec stdio = new StdioSpec(req.getStdin(), req.getStdout(), req.getStderr(), req.getTerminal());
            reserve(req.getId());
            ShimTask task;
            try {
                Path bundle = bundleOf(req);
                ShimProcess init = new ShimProcess(req.getId(), "", stdio, null);
                CreateSpec spec = new CreateSpec(namespace, req.getId(), bundle, req.getRootfsList(), stdio,
                        req.getCheckpoint(), options);
                TaskBackend.Task created = backend.create(spec);
                init.attach(created.init());
                task = new ShimTask(req.getId(), req.getBundle(), init, created, events);
                synchronized (task) {
                    tasks.put(req.getId(), task);
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
            } finally {
                creating.remove(req.getId());
            }
            try {
                task.backend().watchOom(() -> events.publish("/tasks/oom", TaskOOM.newBuilder().setContainerId(req.getId()).build()));
            } catch (IOException e) {
                log.warn("task {} runs without OOM events: {}", req.getId(), e.getMessage());
            }
            log.info("created task {} (pid {})", req.getId(), task.init.pid());
            return CreateTaskResponse.newBuilder().setPid(task.init.pid()).build();
        });
    }

    /** Claims a task id for a Create under way; AlreadyExists if it is served or being created. */
    private void reserve(String id) {
        if (tasks.containsKey(id) || !creating.add(id)) {
            throw Errdefs.alreadyExists("task %s already exists", id);
        }
    }

    @Override
    public void start(StartRequest req, StreamObserver<StartResponse> out) {
        answer(out, () -> {
            ShimTask task = task(req.getId());
            ShimProcess p = task.process(req.getExecId());
            if (p.isInit()) {
                task.transition(p, "start", ShimProcess.CREATED_ONLY, () -> {}, () -> {
                    task.backend().start();
                    return null;
                }, none -> {
                    p.moveTo(ProcessStatus.RUNNING);
                    events.publish("/tasks/start", TaskStart.newBuilder().setContainerId(task.id).setPid(p.pid()).build());
                });
            } else {
                task.transition(p, "start", ShimProcess.CREATED_ONLY,
                        () -> task.init.require("start an exec in", ShimProcess.LIVE),
                        () -> task.backend().exec(p.execId, p.stdio, p.execSpec),
                        started -> {
                            p.attach(started);
                            p.moveTo(ProcessStatus.RUNNING);
                            events.publish("/tasks/exec-started", TaskExecStarted.newBuilder()
                                    .setContainerId(task.id).setExecId(p.execId).setPid(p.pid()).build());
                            task.watchExit(p);
                        });
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
                    if (p.inTransition()) {
                        throw Errdefs.failedPrecondition("cannot delete %s while it is starting", p.describe());
                    }
                    task.removeExec(p);
                    p.markNeverRan();
                }
                if (p.backend() != null) {
                    p.backend().close();
                }
                return deleteResponse(p);
            }
            task.transition(p, "delete", ShimProcess.DELETABLE, task::requireNoExecUnderWay, () -> {
                for (ShimProcess exec : task.liveExecs()) {
                    // runc's shim does the same: execs do not outlive the task they belong to.
                    signalQuietly(exec, 9);
                }
                task.backend().delete();
                p.backend().close();
                return null;
            }, none -> {
                p.markNeverRan();
                p.moveTo(ProcessStatus.DELETED);
                tasks.remove(task.id);
                ExitStatus exit = p.exit();
                events.publish("/tasks/delete", TaskDelete.newBuilder()
                        .setContainerId(task.id).setPid(p.pid())
                        .setExitStatus(exit.status()).setExitedAt(timestamp(exit.exitedAt())).build());
            });
            log.info("deleted task {}", task.id);
            return deleteResponse(p);
        });
    }

    @Override
    public void exec(ExecProcessRequest req, StreamObserver<Empty> out) {
        answer(out, () -> {
            ShimTask task = task(req.getId());
            IdRules.requireValid("exec id", req.getExecId());
            byte[] spec = ProcessSpecRules.check(req.getExecId(), req.getSpec());
            StdioSpec stdio = new StdioSpec(req.getStdin(), req.getStdout(), req.getStderr(), req.getTerminal());
            ShimProcess exec = new ShimProcess(task.id, req.getExecId(), stdio, spec);
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
            if (Integer.compareUnsigned(req.getSignal(), MAX_SIGNAL) > 0) {
                throw Errdefs.invalidArgument("signal %s is not a signal (0..%d)", Integer.toUnsignedString(req.getSignal()), MAX_SIGNAL);
            }
            ShimTask task = task(req.getId());
            ShimProcess p = task.process(req.getExecId());
            int signal = req.getSignal() == 0 ? 15 : req.getSignal();
            synchronized (task) {
                if (p.status() == ProcessStatus.STOPPED || p.status() == ProcessStatus.DELETED) {
                    if (!req.getAll()) {
                        throw Errdefs.notFound("process already finished (%s)", p.describe());
                    }
                }
                if (!p.isInit()) {
                    p.require("kill", ShimProcess.LIVE);
                }
            }
            // Unlocked: a signal to a process that exits meanwhile is answered NotFound by the backend.
            if (p.isInit()) {
                task.backend().kill(signal, req.getAll());
            } else {
                p.backend().signal(signal);
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
                    b.setExitStatus(p.exit().status()).setExitedAt(timestamp(p.exit().exitedAt()));
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
            task.transition(task.init, "pause", ShimProcess.RUNNING_ONLY, () -> {}, () -> {
                task.backend().pause();
                return null;
            }, none -> {
                task.init.moveTo(ProcessStatus.PAUSED);
                events.publish("/tasks/paused", TaskPaused.newBuilder().setContainerId(task.id).build());
            });
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void resume(ResumeRequest req, StreamObserver<Empty> out) {
        answer(out, () -> {
            ShimTask task = task(req.getId());
            task.transition(task.init, "resume", ShimProcess.PAUSED_ONLY, () -> {}, () -> {
                task.backend().resume();
                return null;
            }, none -> {
                task.init.moveTo(ProcessStatus.RUNNING);
                events.publish("/tasks/resumed", TaskResumed.newBuilder().setContainerId(task.id).build());
            });
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
            task.transition(task.init, "checkpoint", ShimProcess.LIVE, () -> {}, () -> {
                task.backend().checkpoint(Path.of(req.getPath()), req.getOptions());
                return null;
            }, none -> events.publish("/tasks/checkpointed", TaskCheckpointed.newBuilder()
                    .setContainerId(task.id).setCheckpoint(req.getPath()).build()));
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
            byte[] resources = resourcesOf(req);
            synchronized (task) {
                task.init.require("update", ShimProcess.LIVE);
            }
            task.backend().update(resources);
            return Empty.getDefaultInstance();
        });
    }

    /** The platform's OCI resources (JSON object) from an Update; InvalidArgument for anything else. */
    private byte[] resourcesOf(UpdateTaskRequest req) {
        Any resources = req.getResources();
        if (resources.getValue().isEmpty()) {
            throw Errdefs.invalidArgument("update of task %s carries no resources", req.getId());
        }
        if (!TypeUrls.is(resources, backend.resourcesType())) {
            throw Errdefs.invalidArgument("update of task %s: resources must be %s, got %s",
                    req.getId(), backend.resourcesType(), resources.getTypeUrl().isEmpty() ? "no type" : resources.getTypeUrl());
        }
        try {
            if (!Json.MAPPER.readTree(resources.getValue().toByteArray()).isObject()) {
                throw Errdefs.invalidArgument("update of task %s: resources must be a JSON object", req.getId());
            }
        } catch (IOException e) {
            throw Errdefs.invalidArgument("update of task %s: resources are not JSON", req.getId());
        }
        return resources.getValue().toByteArray();
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
                out.onNext(WaitResponse.newBuilder().setExitStatus(exit.status()).setExitedAt(timestamp(exit.exitedAt())).build());
                out.onCompleted();
            }
        });
    }

    @Override
    public void stats(StatsRequest req, StreamObserver<StatsResponse> out) {
        answer(out, () -> {
            ShimTask task = task(req.getId());
            synchronized (task) {
                task.init.require("collect stats of", ShimProcess.LIVE);
            }
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
                    .setVersion(dev.hcsshim.shim.task.Version.VERSION)
                    .build();
        });
    }

    @Override
    public void shutdown(ShutdownRequest req, StreamObserver<Empty> out) {
        out.onNext(Empty.getDefaultInstance());
        out.onCompleted();
        // A grouped daemon serves other tasks: only the last one's Shutdown ends it.
        if (tasks.isEmpty() && creating.isEmpty()) {
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

    /** A bundle is an absolute, existing directory holding a config.json. */
    private static Path bundleOf(CreateTaskRequest req) {
        String path = req.getBundle();
        Path bundle;
        try {
            bundle = path.isEmpty() ? null : Path.of(path);
        } catch (InvalidPathException e) {
            bundle = null;
        }
        if (bundle == null || !bundle.isAbsolute() || !bundle.normalize().equals(bundle)) {
            throw Errdefs.invalidArgument("bundle of task %s must be an absolute path, got \"%s\"", req.getId(), path);
        }
        if (!Files.isDirectory(bundle)) {
            throw Errdefs.invalidArgument("bundle %s of task %s is not a directory", path, req.getId());
        }
        if (!Files.isRegularFile(bundle.resolve("config.json"))) {
            throw Errdefs.invalidArgument("bundle %s of task %s has no config.json", path, req.getId());
        }
        return bundle;
    }

    private Options optionsOf(CreateTaskRequest req) {
        if (!req.hasOptions() || req.getOptions().getTypeUrl().isEmpty()) {
            return defaultOptions;
        }
        try {
            return RuntimeOptions.of(req.getOptions());
        } catch (IllegalArgumentException e) {
            throw Errdefs.invalidArgument("runtime options of task %s: %s", req.getId(), e.getMessage());
        }
    }

    private static DeleteResponse deleteResponse(ShimProcess p) {
        ExitStatus exit = p.exit();
        return DeleteResponse.newBuilder()
                .setPid(p.pid())
                .setExitStatus(exit.status())
                .setExitedAt(timestamp(exit.exitedAt()))
                .build();
    }

    static Timestamp timestamp(Instant at) {
        return Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
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
