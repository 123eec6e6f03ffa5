package dev.hcsshim.shim.task;

import static dev.hcsshim.shim.task.Rpcs.async;
import static dev.hcsshim.shim.task.Rpcs.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.hcsshim.proto.events.TaskExit;
import dev.hcsshim.proto.runhcs.options.Options;
import dev.hcsshim.proto.task.v2.CheckpointTaskRequest;
import dev.hcsshim.proto.task.v2.CreateTaskRequest;
import dev.hcsshim.proto.task.v2.CreateTaskResponse;
import dev.hcsshim.proto.task.v2.DeleteRequest;
import dev.hcsshim.proto.task.v2.DeleteResponse;
import dev.hcsshim.proto.task.v2.ExecProcessRequest;
import dev.hcsshim.proto.task.v2.KillRequest;
import dev.hcsshim.proto.task.v2.PauseRequest;
import dev.hcsshim.proto.task.v2.ResumeRequest;
import dev.hcsshim.proto.task.v2.StartRequest;
import dev.hcsshim.proto.task.v2.StartResponse;
import dev.hcsshim.proto.task.v2.StateRequest;
import dev.hcsshim.proto.task.v2.StateResponse;
import dev.hcsshim.proto.task.v2.StatsRequest;
import dev.hcsshim.proto.task.v2.TaskGrpc;
import dev.hcsshim.proto.task.v2.UpdateTaskRequest;
import dev.hcsshim.proto.task.v2.WaitRequest;
import dev.hcsshim.proto.task.v2.WaitResponse;
import dev.hcsshim.proto.types.task.Status;
import io.grpc.MethodDescriptor;
import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The task service and its process state machine over an in-memory backend, without root: the
 * door's refusals (before any runtime call), every "cannot X in state Y", the order of events, the
 * interplay of exec, kill and delete, and that no RPC waits behind another's runtime call.
 */
class TaskServiceTest {
    record Event(String topic, Message event) {}

    @TempDir
    Path tmp;
    Path bundle;
    FakeBackend backend;
    List<Event> events;
    TaskService svc;

    @BeforeEach
    void setUp() throws IOException {
        bundle = Files.createDirectories(tmp.resolve("bundle"));
        Files.writeString(bundle.resolve("config.json"), "{}");
        backend = new FakeBackend();
        events = new CopyOnWriteArrayList<>();
        svc = new TaskService("default", backend, (topic, e) -> events.add(new Event(topic, e)), Options.getDefaultInstance(), () -> {});
    }

    // ---- calling the service ----

    static Code codeOf(Runnable call) {
        return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
    }

    static <T> T within(CompletableFuture<T> f) throws Exception {
        return f.get(20, TimeUnit.SECONDS);
    }

    CreateTaskResponse create(String id) {
        return call(svc::create, CreateTaskRequest.newBuilder().setId(id).setBundle(bundle.toString()).build());
    }

    StartResponse start(String id, String execId) {
        return call(svc::start, StartRequest.newBuilder().setId(id).setExecId(execId).build());
    }

    void exec(String id, String execId) {
        call(svc::exec, ExecProcessRequest.newBuilder().setId(id).setExecId(execId).setSpec(spec("{\"args\":[\"/bin/true\"],\"cwd\":\"/\"}")).build());
    }

    DeleteResponse delete(String id, String execId) {
        return call(svc::delete, DeleteRequest.newBuilder().setId(id).setExecId(execId).build());
    }

    StateResponse state(String id, String execId) {
        return call(svc::state, StateRequest.newBuilder().setId(id).setExecId(execId).build());
    }

    void kill(String id, String execId, int signal) {
        call(svc::kill, KillRequest.newBuilder().setId(id).setExecId(execId).setSignal(signal).build());
    }

    CompletableFuture<WaitResponse> waiting(String id, String execId) {
        BiConsumer<WaitRequest, StreamObserver<WaitResponse>> rpc = svc::wait;
        return Rpcs.registered(rpc, WaitRequest.newBuilder().setId(id).setExecId(execId).build());
    }

    static Any spec(String json) {
        return Any.newBuilder().setTypeUrl("types.containerd.io/opencontainers/runtime-spec/1/Process")
                .setValue(ByteString.copyFromUtf8(json)).build();
    }

    /** Exits the fake's process and waits until the service recorded it (Wait answered). */
    void exitAndWait(String id, String execId, int status) throws Exception {
        FakeBackend.FakeTask t = backend.tasks.get(id);
        (execId.isEmpty() ? t.init : t.execs.get(execId)).exit(status);
        assertEquals(status, within(waiting(id, execId)).getExitStatus());
    }

    List<String> topics() {
        return events.stream().map(Event::topic).toList();
    }

    /** A running task "t" with a running exec "e". */
    void runningTaskWithExec() {
        create("t");
        start("t", "");
        exec("t", "e");
        start("t", "e");
    }

    // ---- the door ----

    @Test
    void createRefusesABundleThatIsNotAnAbsoluteDirectoryWithAConfigBeforeAnyRuntimeCall() throws IOException {
        Path noConfig = Files.createDirectories(tmp.resolve("no-config"));
        Path aFile = Files.writeString(tmp.resolve("a-file"), "x");
        for (String b : List.of("", "relative/bundle", ".", tmp.resolve("missing").toString(), aFile.toString(),
                noConfig.toString(), bundle + "/../bundle")) {
            assertEquals(Code.INVALID_ARGUMENT, codeOf(() -> call(svc::create,
                    CreateTaskRequest.newBuilder().setId("t").setBundle(b).build())), "bundle '" + b + "'");
        }
        assertEquals(List.of(), backend.calls);
        assertEquals(List.of(), events);
        assertTrue(svc.tasks().isEmpty());
    }

    @Test
    void createRefusesHostileIdsAndDuplicates() {
        for (String id : List.of("", "../x", "a/b", "x".repeat(200))) {
            assertEquals(Code.INVALID_ARGUMENT, codeOf(() -> create(id)), "id " + id);
        }
        assertEquals(List.of(), backend.calls);
        create("t");
        assertEquals(Code.ALREADY_EXISTS, codeOf(() -> create("t")));
        assertEquals(Code.ALREADY_EXISTS, codeOf(() -> call(svc::create,
                CreateTaskRequest.newBuilder().setId("t").setBundle("/nonexistent").build())), "the id is checked first");
        assertEquals(List.of("create t"), backend.calls);
    }

    @Test
    void aTerminalWithTheStdioFifosCriSendsIsAccepted() {
        // What containerd's CRI plugin sends for a tty container and for `kubectl exec -it`.
        CreateTaskRequest cri = CreateTaskRequest.newBuilder().setId("tty").setBundle(bundle.toString()).setTerminal(true)
                .setStdin("/run/cri/io/tty-stdin").setStdout("/run/cri/io/tty-stdout").setStderr("/run/cri/io/tty-stderr").build();
        call(svc::create, cri);
        start("tty", "");
        call(svc::exec, ExecProcessRequest.newBuilder().setId("tty").setExecId("it").setTerminal(true)
                .setStdin("/run/cri/io/it-stdin").setStdout("/run/cri/io/it-stdout").setStderr("/run/cri/io/it-stderr")
                .setSpec(spec("{\"args\":[\"/bin/sh\"],\"cwd\":\"/\",\"terminal\":true}")).build());
        start("tty", "it");
        assertTrue(backend.tasks.get("tty").spec.stdio().terminal());
        assertTrue(backend.tasks.get("tty").execs.get("it").stdio.terminal());
        StateResponse s = state("tty", "");
        assertTrue(s.getTerminal());
        assertEquals("/run/cri/io/tty-stderr", s.getStderr(), "State reports the stdio as containerd gave it");
    }

    @Test
    void execRefusesABadProcessSpecAtExec() {
        create("t");
        start("t", "");
        List<String> bad = List.of("not json", "null", "[]", "\"args\"", "{}", "{\"cwd\":\"/\"}",
                "{\"args\":[],\"cwd\":\"/\"}", "{\"args\":[\"\"],\"cwd\":\"/\"}", "{\"args\":[1],\"cwd\":\"/\"}",
                "{\"args\":\"/bin/true\",\"cwd\":\"/\"}", "{\"args\":[\"/bin/true\"]}", "{\"args\":[\"/bin/true\"],\"cwd\":\"\"}",
                "{\"args\":[\"/bin/true\"],\"cwd\":\"tmp\"}",
                "{\"args\":[\"/bin/true\"],\"cwd\":\"/\",\"user\":{\"uid\":4294967295}}",
                "{\"args\":[\"/bin/true\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":-1}}",
                "{\"args\":[\"/bin/true\"],\"cwd\":\"/\",\"user\":{\"uid\":1.5}}",
                "{\"args\":[\"/bin/true\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"additionalGids\":[4294967295]}}",
                "{\"args\":[\"/bin/true\"],\"cwd\":\"/\",\"env\":[1]}");
        for (String json : bad) {
            assertEquals(Code.INVALID_ARGUMENT, codeOf(() -> call(svc::exec, ExecProcessRequest.newBuilder()
                    .setId("t").setExecId("e").setSpec(spec(json)).build())), json);
        }
        assertEquals(Code.INVALID_ARGUMENT, codeOf(() -> call(svc::exec, ExecProcessRequest.newBuilder().setId("t").setExecId("e").build())));
        assertEquals(Code.INVALID_ARGUMENT, codeOf(() -> call(svc::exec, ExecProcessRequest.newBuilder().setId("t").setExecId("e")
                .setSpec(Any.newBuilder().setTypeUrl("example.com/NotAProcess").setValue(ByteString.copyFromUtf8("{}"))).build())));
        assertEquals(List.of("/tasks/create", "/tasks/start"), topics(), "no exec was added");
        // The largest ids a kernel holds, a Windows cwd and a Windows commandLine are fine.
        for (String json : List.of("{\"args\":[\"/bin/true\"],\"cwd\":\"/\",\"user\":{\"uid\":4294967294,\"gid\":4294967294}}",
                "{\"args\":[\"cmd\"],\"cwd\":\"C:\\\\\"}", "{\"commandLine\":\"cmd /c exit\",\"cwd\":\"C:\\\\work\"}")) {
            call(svc::exec, ExecProcessRequest.newBuilder().setId("t").setExecId("ok" + events.size()).setSpec(spec(json)).build());
        }
        assertEquals(List.of("create t", "start t"), backend.calls);
    }

    @Test
    void killRefusesSignalsOutsideZeroTo64WithoutCallingTheRuntime() {
        create("t");
        start("t", "");
        for (int signal : List.of(65, 999, -1 /* 4294967295 on the wire */, Integer.MIN_VALUE)) {
            assertEquals(Code.INVALID_ARGUMENT, codeOf(() -> kill("t", "", signal)), "signal " + Integer.toUnsignedString(signal));
        }
        assertEquals(List.of("create t", "start t"), backend.calls);
        kill("t", "", 64);
        assertEquals("kill t 64", backend.calls.getLast());
    }

    @Test
    void updateRefusesResourcesOfAnotherTypeBeforeTheRuntime() {
        create("t");
        start("t", "");
        for (String type : List.of("", "types.containerd.io/opencontainers/runtime-spec/1/WindowsResources",
                "types.containerd.io/opencontainers/runtime-spec/1/Process", "LinuxResourcesX")) {
            assertEquals(Code.INVALID_ARGUMENT, codeOf(() -> call(svc::update, UpdateTaskRequest.newBuilder().setId("t")
                    .setResources(Any.newBuilder().setTypeUrl(type).setValue(ByteString.copyFromUtf8("{}"))).build())), type);
        }
        assertEquals(Code.INVALID_ARGUMENT, codeOf(() -> call(svc::update, UpdateTaskRequest.newBuilder().setId("t")
                .setResources(Any.newBuilder().setTypeUrl("types.containerd.io/" + TypeUrls.LINUX_RESOURCES)
                        .setValue(ByteString.copyFromUtf8("[1]"))).build())));
        assertEquals(List.of("create t", "start t"), backend.calls);
        call(svc::update, UpdateTaskRequest.newBuilder().setId("t").setResources(Any.newBuilder()
                .setTypeUrl("types.containerd.io/opencontainers/runtime-spec/1/LinuxResources")
                .setValue(ByteString.copyFromUtf8("{\"memory\":{\"limit\":1048576}}"))).build());
        assertEquals("update t", backend.calls.getLast());
    }

    // ---- the state machine ----

    @Test
    void everyOperationIsRefusedOutsideItsStates() throws Exception {
        create("t");
        // created
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> exec("t", "e")), "exec in a created task");
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> call(svc::pause, PauseRequest.newBuilder().setId("t").build())));
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> call(svc::resume, ResumeRequest.newBuilder().setId("t").build())));
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> checkpoint("t")));
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> update("t")));
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> call(svc::stats, StatsRequest.newBuilder().setId("t").build())));
        start("t", "");
        // running
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> start("t", "")), "start a running task");
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> delete("t", "")), "delete a running task");
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> call(svc::resume, ResumeRequest.newBuilder().setId("t").build())));
        exec("t", "e");
        assertEquals(Code.ALREADY_EXISTS, codeOf(() -> exec("t", "e")));
        // exec created
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> kill("t", "e", 9)), "kill an exec never started");
        start("t", "e");
        // exec running
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> start("t", "e")), "start a running exec");
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> delete("t", "e")), "delete a running exec");
        // paused
        call(svc::pause, PauseRequest.newBuilder().setId("t").build());
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> call(svc::pause, PauseRequest.newBuilder().setId("t").build())));
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> delete("t", "")), "delete a paused task");
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> start("t", "")));
        call(svc::resume, ResumeRequest.newBuilder().setId("t").build());
        // stopped
        exitAndWait("t", "e", 3);
        assertEquals(Code.NOT_FOUND, codeOf(() -> kill("t", "e", 15)), "kill a finished exec");
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> start("t", "e")), "start a finished exec");
        exitAndWait("t", "", 0);
        assertEquals(Code.NOT_FOUND, codeOf(() -> kill("t", "", 15)), "kill a finished task");
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> start("t", "")), "start a finished task");
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> exec("t", "e2")), "exec in a finished task");
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> call(svc::pause, PauseRequest.newBuilder().setId("t").build())));
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> update("t")));
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> checkpoint("t")));
        delete("t", "");
        // deleted
        assertEquals(Code.NOT_FOUND, codeOf(() -> state("t", "")));
        assertEquals(Code.NOT_FOUND, codeOf(() -> start("t", "")));
    }

    private void checkpoint(String id) {
        call(svc::checkpoint, CheckpointTaskRequest.newBuilder().setId(id).setPath(tmp.resolve("cp").toString()).build());
    }

    private void update(String id) {
        call(svc::update, UpdateTaskRequest.newBuilder().setId(id).setResources(Any.newBuilder()
                .setTypeUrl("types.containerd.io/" + TypeUrls.LINUX_RESOURCES).setValue(ByteString.copyFromUtf8("{}"))).build());
    }

    @Test
    void refusalsNameTheOperationAndTheState() {
        create("t");
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> exec("t", "e"));
        assertEquals("cannot exec in task t in state created", e.getStatus().getDescription());
    }

    // ---- events ----

    @Test
    void aTaskPublishesCreateStartExitDeleteInOrder() throws Exception {
        int pid = create("t").getPid();
        assertEquals(pid, start("t", "").getPid());
        exitAndWait("t", "", 7);
        DeleteResponse deleted = delete("t", "");
        assertEquals(7, deleted.getExitStatus());
        assertEquals(List.of("/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"), topics());
        TaskExit exit = (TaskExit) events.get(2).event();
        assertEquals(pid, exit.getPid());
        assertEquals("t", exit.getId());
    }

    @Test
    void anExecPublishesAddedStartedExitInOrder() throws Exception {
        runningTaskWithExec();
        exitAndWait("t", "e", 5);
        assertEquals(List.of("/tasks/create", "/tasks/start", "/tasks/exec-added", "/tasks/exec-started", "/tasks/exit"), topics());
        assertEquals("e", ((TaskExit) events.get(4).event()).getId());
        assertEquals(5, delete("t", "e").getExitStatus());
        assertEquals(Code.NOT_FOUND, codeOf(() -> state("t", "e")));
    }

    @Test
    void anExitDuringStartIsPublishedAfterTaskStart() throws Exception {
        create("t");
        FakeBackend.Gate gate = backend.gate("start t");
        gate.during = () -> backend.tasks.get("t").init.exit(0); // the init exits before start returns
        CompletableFuture<StartResponse> started = async(svc::start, StartRequest.newBuilder().setId("t").build());
        gate.awaitEntered();
        gate.open();
        within(started);
        within(waiting("t", ""));
        assertEquals(List.of("/tasks/create", "/tasks/start", "/tasks/exit"), topics());
        assertEquals(Status.STOPPED, state("t", "").getStatus());
    }

    @Test
    void anExitDuringAFailedStartIsStillPublished() throws Exception {
        create("t");
        FakeBackend.Gate gate = backend.gate("start t");
        gate.during = () -> {
            backend.tasks.get("t").init.exit(1);
            throw Errdefs.failedPrecondition("the runtime refused");
        };
        CompletableFuture<StartResponse> started = async(svc::start, StartRequest.newBuilder().setId("t").build());
        gate.open();
        ExecutionException failed = assertThrows(ExecutionException.class, () -> within(started));
        assertEquals(Code.FAILED_PRECONDITION, ((StatusRuntimeException) failed.getCause()).getStatus().getCode());
        assertEquals(1, within(waiting("t", "")).getExitStatus());
        assertEquals(List.of("/tasks/create", "/tasks/exit"), topics());
        delete("t", "");
        assertEquals(List.of("/tasks/create", "/tasks/exit", "/tasks/delete"), topics());
    }

    // ---- exec, kill and delete ----

    @Test
    void deletingATaskKillsItsLiveExecs() throws Exception {
        runningTaskWithExec();
        exitAndWait("t", "", 0);
        delete("t", "");
        assertTrue(backend.calls.contains("signal t/e 9"), backend.calls.toString());
        assertEquals("delete t", backend.calls.getLast());
        assertTrue(backend.tasks.get("t").init.closed);
        assertTrue(svc.tasks().isEmpty());
    }

    @Test
    void killAllReachesAFinishedTaskAndKillOfAnExecSignalsOnlyIt() throws Exception {
        runningTaskWithExec();
        kill("t", "e", 9);
        assertEquals("signal t/e 9", backend.calls.getLast());
        assertEquals(137, within(waiting("t", "e")).getExitStatus());
        assertEquals(Status.RUNNING, state("t", "").getStatus());
        exitAndWait("t", "", 0);
        call(svc::kill, KillRequest.newBuilder().setId("t").setSignal(9).setAll(true).build());
        assertEquals("kill t 9 all", backend.calls.getLast());
    }

    @Test
    void aCreatedExecCanBeDeletedAndItsWaitersAreAnswered() throws Exception {
        create("t");
        start("t", "");
        exec("t", "e");
        CompletableFuture<WaitResponse> waited = waiting("t", "e");
        delete("t", "e");
        assertEquals(0, within(waited).getExitStatus());
        assertFalse(backend.calls.stream().anyMatch(c -> c.startsWith("exec ")), "the exec never ran");
        exec("t", "e"); // the id is free again
    }

    @Test
    void aDeletedTaskCanBeCreatedAgain() throws Exception {
        create("t");
        start("t", "");
        exitAndWait("t", "", 0);
        delete("t", "");
        create("t");
        assertEquals(Status.CREATED, state("t", "").getStatus());
    }

    // ---- no lock across a runtime call ----

    @Test
    void createsOfDifferentTasksRunInParallel() throws Exception {
        FakeBackend.Gate gate = backend.gate("create slow");
        CompletableFuture<CreateTaskResponse> slow = async(svc::create, CreateTaskRequest.newBuilder().setId("slow").setBundle(bundle.toString()).build());
        gate.awaitEntered();
        create("fast");
        assertEquals(Status.CREATED, state("fast", "").getStatus());
        assertEquals(Code.ALREADY_EXISTS, codeOf(() -> create("slow")), "a create under way holds its id");
        assertEquals(Code.NOT_FOUND, codeOf(() -> state("slow", "")), "a task is served once created");
        assertFalse(slow.isDone());
        gate.open();
        within(slow);
        assertEquals(Status.CREATED, state("slow", "").getStatus());
    }

    @Test
    void stateKillAndWaitDoNotWaitBehindAnotherTasksRuntimeCall() throws Exception {
        create("a");
        start("a", "");
        create("b");
        FakeBackend.Gate gate = backend.gate("start b");
        CompletableFuture<StartResponse> startB = async(svc::start, StartRequest.newBuilder().setId("b").build());
        gate.awaitEntered();
        assertEquals(Status.RUNNING, state("a", "").getStatus());
        CompletableFuture<WaitResponse> waitA = waiting("a", "");
        kill("a", "", 9);
        assertEquals(137, within(waitA).getExitStatus());
        assertEquals(Status.CREATED, state("b", "").getStatus(), "b is still starting");
        assertFalse(startB.isDone());
        gate.open();
        within(startB);
        assertEquals(Status.RUNNING, state("b", "").getStatus());
    }

    record ExecStarting(FakeBackend.Gate gate, CompletableFuture<StartResponse> start) {}

    /** Task "t" runs and its exec "e" is being started, held inside the runtime until the gate opens. */
    ExecStarting execStartHeldInTheRuntime() throws InterruptedException {
        create("t");
        start("t", "");
        exec("t", "e");
        FakeBackend.Gate gate = backend.gate("exec t/e");
        CompletableFuture<StartResponse> start = async(svc::start, StartRequest.newBuilder().setId("t").setExecId("e").build());
        gate.awaitEntered();
        return new ExecStarting(gate, start);
    }

    @Test
    void stateAndKillOfATaskDoNotWaitBehindItsOwnExecStart() throws Exception {
        ExecStarting starting = execStartHeldInTheRuntime();
        FakeBackend.Gate gate = starting.gate();
        CompletableFuture<StartResponse> startE = starting.start();
        assertEquals(Status.RUNNING, state("t", "").getStatus());
        assertEquals(Status.CREATED, state("t", "e").getStatus());
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> start("t", "e")), "one start at a time");
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> delete("t", "e")), "not deleted while starting");
        kill("t", "", 15);
        assertEquals("kill t 15", backend.calls.getLast());
        assertFalse(startE.isDone());
        gate.open();
        int pid = within(startE).getPid();
        assertTrue(pid > 0);
        assertEquals(Status.RUNNING, state("t", "e").getStatus());
        assertEquals(List.of("/tasks/create", "/tasks/start", "/tasks/exec-added", "/tasks/exec-started"), topics());
    }

    @Test
    void aTaskIsNotDeletedWhileOneOfItsExecsIsStarting() throws Exception {
        ExecStarting starting = execStartHeldInTheRuntime();
        FakeBackend.Gate gate = starting.gate();
        CompletableFuture<StartResponse> startE = starting.start();
        exitAndWait("t", "", 0);
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> delete("t", "")));
        gate.open();
        within(startE);
        delete("t", "");
    }

    @Test
    void onlyHandlersThatNeverBlockMayRunOnTheIoThread() {
        for (String service : List.of("containerd.task.v2.Task", "containerd.task.v3.Task")) {
            Set<String> onIoThread = new TreeSet<>();
            for (MethodDescriptor<?, ?> m : TaskGrpc.getServiceDescriptor().getMethods()) {
                MethodDescriptor<?, ?> named = m.toBuilder()
                        .setFullMethodName(MethodDescriptor.generateFullMethodName(service, m.getBareMethodName())).build();
                if (TaskService.answersWithoutBlocking(named)) onIoThread.add(m.getBareMethodName());
            }
            // not Create, Start, Delete, Kill, Pids, Stats, Update, CloseIO...: they run the runtime, read files or wait
            assertEquals(Set.of("Connect", "Exec", "State", "Wait"), onIoThread, service);
        }
        MethodDescriptor<?, ?> state = TaskGrpc.getStateMethod();
        assertFalse(TaskService.answersWithoutBlocking(state.toBuilder()
                .setFullMethodName(MethodDescriptor.generateFullMethodName("containerd.runhcs.v1.diag.ShimDiag", "State")).build()),
                "another service's method of the same name");
    }
}
