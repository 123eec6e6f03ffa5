package dev.hcsshim.shim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.hcsshim.fixtures.BusyboxBundle;
import dev.hcsshim.proto.cgroups.v1.Metrics;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hcsshim.proto.task.v2.CreateTaskRequest;
import dev.hcsshim.proto.task.v2.CreateTaskResponse;
import dev.hcsshim.proto.task.v2.DeleteRequest;
import dev.hcsshim.proto.task.v2.ExecProcessRequest;
import dev.hcsshim.proto.task.v2.KillRequest;
import dev.hcsshim.proto.task.v2.ShutdownRequest;
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
import dev.hcsshim.ttrpc.TtrpcClient;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The task API spoken directly to a shim that containerd started: containerd's error codes for
 * bad input (refused before any runtime call), the state machine's refusals, Update, Wait, the
 * request CRI sends for a tty container, RPCs that go on while another is held inside the OCI
 * runtime, and the gRPC endpoint with its task.v3 alias.
 */
class TaskApiIT {
    static final String NS = "api-it";
    static final String TASK = "api";
    static final Duration CALL = Duration.ofSeconds(30);
    static ShimHarness h;
    static TtrpcClient client;
    static Path socket;

    @BeforeAll
    static void up() throws IOException {
        h = ShimHarness.start(NS);
        h.runDetached(TASK, "/bin/sleep", "1000").requireOk();
        Path bundle = h.containerd.workDir().resolve("state/io.containerd.runtime.v2.task").resolve(NS).resolve(TASK);
        String address = Files.readString(bundle.resolve("address"), StandardCharsets.UTF_8).trim();
        socket = Path.of(address.replaceFirst("^unix://", ""));
        client = TtrpcClient.forSocket(socket);
    }

    @AfterAll
    static void down() throws IOException {
        if (client != null) {
            client.close();
        }
        if (h != null) {
            h.close();
        }
    }

    private static <Q, R> R call(MethodDescriptor<Q, R> method, Q request) {
        try {
            return client.call(method, request, Map.of("containerd-namespace-ttrpc", NS), CALL).get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StatusRuntimeException s) {
                throw s;
            }
            throw new AssertionError(e.getCause());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The code of a refused call; its description must read as words, never as Java class names. */
    private static Code codeOf(Runnable call) {
        io.grpc.Status status = assertThrows(StatusRuntimeException.class, call::run).getStatus();
        String description = String.valueOf(status.getDescription());
        assertFalse(description.matches("(?s).*\\b\\w+(Exception|Error)\\b.*"), "a class name in: " + description);
        return status.getCode();
    }

    @Test
    void aRuntimeFailureArrivesWithItsKindInRuncsWords() {
        call(TaskGrpc.getExecMethod(), ExecProcessRequest.newBuilder().setId(TASK).setExecId("nobin")
                .setSpec(processSpec("/no/such/binary")).build());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> call(TaskGrpc.getStartMethod(), StartRequest.newBuilder().setId(TASK).setExecId("nobin").build()));
        assertEquals(Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().getDescription());
        assertTrue(e.getStatus().getDescription().contains("stat /no/such/binary: no such file or directory"),
                e.getStatus().getDescription());
        call(TaskGrpc.getDeleteMethod(), dev.hcsshim.proto.task.v2.DeleteRequest.newBuilder().setId(TASK).setExecId("nobin").build());
    }

    @Test
    void unknownTaskIsNotFound() {
        assertEquals(Code.NOT_FOUND, codeOf(() -> call(TaskGrpc.getStateMethod(), StateRequest.newBuilder().setId("nope").build())));
        assertEquals(Code.NOT_FOUND, codeOf(() -> call(TaskGrpc.getKillMethod(),
                KillRequest.newBuilder().setId(TASK).setExecId("no-such-exec").setSignal(9).build())));
    }

    @Test
    void idsThatCouldEscapeAreRefusedBeforeTouchingTheDisk() throws IOException {
        Path bundle = Files.createTempDirectory(h.work, "bad-bundle");
        for (String id : List.of("../escape", "a/b", "nul\u0000id", "x".repeat(200), ".hidden", "")) {
            Code code = codeOf(() -> call(TaskGrpc.getCreateMethod(),
                    CreateTaskRequest.newBuilder().setId(id).setBundle(bundle.toString()).build()));
            assertEquals(Code.INVALID_ARGUMENT, code, "id " + id);
        }
        assertFalse(Files.exists(h.work.resolve("escape")));
        try (var runcState = Files.list(Path.of("/run/containerd/runhcs-runc", NS))) {
            assertEquals(List.of(TASK), runcState.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void duplicateTaskIsAlreadyExists() {
        assertEquals(Code.ALREADY_EXISTS, codeOf(() -> call(TaskGrpc.getCreateMethod(),
                CreateTaskRequest.newBuilder().setId(TASK).setBundle("/nonexistent").build())));
    }

    @Test
    void aBundleWithoutConfigIsInvalidArgument() throws IOException {
        Path empty = Files.createTempDirectory(h.work, "empty-bundle");
        assertEquals(Code.INVALID_ARGUMENT, codeOf(() -> call(TaskGrpc.getCreateMethod(),
                CreateTaskRequest.newBuilder().setId("noconfig").setBundle(empty.toString()).build())));
    }

    @Test
    void aStdioPathThatDoesNotExistIsInvalidArgumentNotNotFound() throws IOException {
        Path bundle = Files.createTempDirectory(h.work, "nostdio-bundle");
        Files.writeString(bundle.resolve("config.json"), "{}");
        Path missing = h.work.resolve("no-such-fifo");
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> call(TaskGrpc.getCreateMethod(),
                CreateTaskRequest.newBuilder().setId("nostdio").setBundle(bundle.toString()).setStdout(missing.toString()).build()));
        assertEquals(Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertEquals("stdio target " + missing + " does not exist", e.getStatus().getDescription());
    }

    @Test
    void startingARunningTaskIsFailedPrecondition() {
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> call(TaskGrpc.getStartMethod(), StartRequest.newBuilder().setId(TASK).build())));
    }

    @Test
    void badExecSpecsAreInvalidArgument() {
        assertEquals(Code.INVALID_ARGUMENT, codeOf(() -> call(TaskGrpc.getExecMethod(), ExecProcessRequest.newBuilder()
                .setId(TASK).setExecId("nospec").build())));
        assertEquals(Code.INVALID_ARGUMENT, codeOf(() -> call(TaskGrpc.getExecMethod(), ExecProcessRequest.newBuilder()
                .setId(TASK).setExecId("wrongtype")
                .setSpec(Any.newBuilder().setTypeUrl("example.com/NotAProcess").setValue(ByteString.copyFromUtf8("{}"))).build())));
        assertEquals(Code.INVALID_ARGUMENT, codeOf(() -> call(TaskGrpc.getExecMethod(), ExecProcessRequest.newBuilder()
                .setId(TASK).setExecId("bad/id").setSpec(processSpec("/bin/true")).build())));
    }

    @Test
    void everyWaiterGetsTheSameExit() throws Exception {
        call(TaskGrpc.getExecMethod(), ExecProcessRequest.newBuilder().setId(TASK).setExecId("waited")
                .setSpec(processSpec("/bin/sh", "-c", "read x; exit 4")).setStdin(fifo("waited-in")).build());
        List<CompletableFuture<WaitResponse>> waits = List.of(wait("waited"), wait("waited"), wait("waited"));
        call(TaskGrpc.getStartMethod(), StartRequest.newBuilder().setId(TASK).setExecId("waited").build());
        // Starting it twice is refused; the running exec is untouched.
        assertEquals(Code.FAILED_PRECONDITION, codeOf(() -> call(TaskGrpc.getStartMethod(), StartRequest.newBuilder().setId(TASK).setExecId("waited").build())));
        call(TaskGrpc.getCloseIOMethod(), dev.hcsshim.proto.task.v2.CloseIORequest.newBuilder().setId(TASK).setExecId("waited").setStdin(true).build());
        for (CompletableFuture<WaitResponse> w : waits) {
            assertEquals(4, w.get(60, TimeUnit.SECONDS).getExitStatus());
        }
        assertEquals(waits.get(0).get().getExitedAt(), waits.get(2).get().getExitedAt());
        StateResponse state = call(TaskGrpc.getStateMethod(), StateRequest.newBuilder().setId(TASK).setExecId("waited").build());
        assertEquals(Status.STOPPED, state.getStatus());
        assertEquals(4, state.getExitStatus());
        call(TaskGrpc.getDeleteMethod(), dev.hcsshim.proto.task.v2.DeleteRequest.newBuilder().setId(TASK).setExecId("waited").build());
        assertEquals(Code.NOT_FOUND, codeOf(() -> call(TaskGrpc.getStateMethod(), StateRequest.newBuilder().setId(TASK).setExecId("waited").build())));
    }

    @Test
    void updateChangesTheMemoryLimit() throws Exception {
        call(TaskGrpc.getUpdateMethod(), UpdateTaskRequest.newBuilder().setId(TASK)
                .setResources(Any.newBuilder().setTypeUrl("types.containerd.io/opencontainers/runtime-spec/1/LinuxResources")
                        .setValue(ByteString.copyFromUtf8("{\"memory\":{\"limit\":67108864}}")))
                .build());
        Any stats = call(TaskGrpc.getStatsMethod(), StatsRequest.newBuilder().setId(TASK).build()).getStats();
        assertEquals("io.containerd.cgroups.v1.Metrics", stats.getTypeUrl());
        assertEquals(67108864L, Metrics.parseFrom(stats.getValue()).getMemory().getUsage().getLimit());
        assertEquals(Code.INVALID_ARGUMENT, codeOf(() -> call(TaskGrpc.getUpdateMethod(), UpdateTaskRequest.newBuilder().setId(TASK).build())));
    }

    @Test
    void shutdownWithATaskLeftKeepsServing() {
        call(TaskGrpc.getShutdownMethod(), ShutdownRequest.newBuilder().setId(TASK).build());
        assertEquals(Status.RUNNING, call(TaskGrpc.getStateMethod(), StateRequest.newBuilder().setId(TASK).build()).getStatus());
    }

    @Test
    void theGrpcEndpointServesTaskV2AndV3() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket + ".grpc"))
                .channelType(EpollDomainSocketChannel.class).eventLoopGroup(group).usePlaintext().build();
        try {
            MethodDescriptor<StateRequest, StateResponse> v2 = TaskGrpc.getStateMethod();
            MethodDescriptor<StateRequest, StateResponse> v3 = v2.toBuilder()
                    .setFullMethodName("containerd.task.v3.Task/State").build();
            for (MethodDescriptor<StateRequest, StateResponse> m : List.of(v2, v3)) {
                StateResponse s = ClientCalls.blockingUnaryCall(channel, m, io.grpc.CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS),
                        StateRequest.newBuilder().setId(TASK).build());
                assertEquals(Status.RUNNING, s.getStatus(), m.getFullMethodName());
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(channel, m,
                        io.grpc.CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), StateRequest.newBuilder().setId("nope").build()));
                assertEquals(Code.NOT_FOUND, e.getStatus().getCode());
            }
        } finally {
            channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void badInputIsRefusedAtTheDoorBeforeTheRuntime() {
        for (String json : List.of("not json", "null", "{\"cwd\":\"/\"}", "{\"args\":[],\"cwd\":\"/\"}",
                "{\"args\":[\"/bin/true\"],\"cwd\":\"tmp\"}",
                "{\"args\":[\"/bin/true\"],\"cwd\":\"/\",\"user\":{\"uid\":4294967295,\"gid\":0}}")) {
            assertEquals(Code.INVALID_ARGUMENT, codeOf(() -> call(TaskGrpc.getExecMethod(), ExecProcessRequest.newBuilder()
                    .setId(TASK).setExecId("door").setSpec(Any.newBuilder()
                            .setTypeUrl("types.containerd.io/opencontainers/runtime-spec/1/Process")
                            .setValue(ByteString.copyFromUtf8(json))).build())), json);
        }
        // Exec refused means nothing was added: the id is still free.
        assertEquals(Code.NOT_FOUND, codeOf(() -> call(TaskGrpc.getStateMethod(), StateRequest.newBuilder().setId(TASK).setExecId("door").build())));
        for (int signal : List.of(-1 /* 4294967295 */, 999, 65)) {
            assertEquals(Code.INVALID_ARGUMENT, codeOf(() -> call(TaskGrpc.getKillMethod(),
                    KillRequest.newBuilder().setId(TASK).setSignal(signal).build())), "signal " + Integer.toUnsignedString(signal));
        }
        assertEquals(Code.INVALID_ARGUMENT, codeOf(() -> call(TaskGrpc.getUpdateMethod(), UpdateTaskRequest.newBuilder().setId(TASK)
                .setResources(Any.newBuilder().setTypeUrl("types.containerd.io/opencontainers/runtime-spec/1/WindowsResources")
                        .setValue(ByteString.copyFromUtf8("{\"memory\":{\"limit\":1}}"))).build())));
        assertEquals(Code.INVALID_ARGUMENT, codeOf(() -> call(TaskGrpc.getCreateMethod(),
                CreateTaskRequest.newBuilder().setId("nobundle").build())));
        assertEquals(Code.INVALID_ARGUMENT, codeOf(() -> call(TaskGrpc.getCreateMethod(),
                CreateTaskRequest.newBuilder().setId("relbundle").setBundle("relative/bundle").build())));
        assertEquals(Status.RUNNING, call(TaskGrpc.getStateMethod(), StateRequest.newBuilder().setId(TASK).build()).getStatus());
    }

    @Test
    void aTtyContainerAsCriCreatesItRunsOnAPtyWithItsOutputOnStdout() throws Exception {
        Path dir = Files.createTempDirectory(h.work, "tty");
        BusyboxBundle bundle = BusyboxBundle.builder(dir.resolve("bundle")).terminal(true)
                .args("/bin/sh", "-c", "tty; read line; echo \"tty-exec:$line\"").build();
        // Exactly what containerd's CRI plugin sends for `tty: true`: all three FIFOs and terminal.
        String id = "tty";
        call(TaskGrpc.getCreateMethod(), CreateTaskRequest.newBuilder().setId(id).setBundle(bundle.dir().toString())
                .setTerminal(true).setStdin(fifo("tty-stdin")).setStdout(fifo("tty-stdout")).setStderr(fifo("tty-stderr")).build());
        CompletableFuture<String> out = readUntil(h.work.resolve("tty-stdout"), "tty-exec:");
        call(TaskGrpc.getStartMethod(), StartRequest.newBuilder().setId(id).build());
        // And what it sends for `kubectl exec -it`: an exec with a terminal and the same three FIFOs.
        call(TaskGrpc.getExecMethod(), ExecProcessRequest.newBuilder().setId(id).setExecId("it").setTerminal(true)
                .setStdin(fifo("it-stdin")).setStdout(fifo("it-stdout")).setStderr(fifo("it-stderr"))
                .setSpec(Any.newBuilder().setTypeUrl("types.containerd.io/opencontainers/runtime-spec/1/Process")
                        .setValue(ByteString.copyFromUtf8(bundle.processSpec(true, "/bin/sh", "-c", "tty; echo it-done")))).build());
        CompletableFuture<String> execOut = readUntil(h.work.resolve("it-stdout"), "it-done");
        call(TaskGrpc.getStartMethod(), StartRequest.newBuilder().setId(id).setExecId("it").build());
        assertTrue(execOut.get(60, TimeUnit.SECONDS).contains("/dev/pts/"), "the exec runs on a pty");
        assertEquals(0, waitFor(id, "it").getExitStatus());
        try (var stdin = Files.newOutputStream(h.work.resolve("tty-stdin"))) {
            stdin.write("hi\n".getBytes(StandardCharsets.UTF_8));
        }
        String text = out.get(60, TimeUnit.SECONDS);
        assertTrue(text.contains("/dev/pts/"), "the init runs on a pty: " + text);
        assertEquals(0, waitFor(id, "").getExitStatus());
        assertTrue(out.get().contains("tty-exec:"), text);
        call(TaskGrpc.getDeleteMethod(), DeleteRequest.newBuilder().setId(id).setExecId("it").build());
        call(TaskGrpc.getDeleteMethod(), DeleteRequest.newBuilder().setId(id).build());
    }

    @Test
    void callsGoOnWhileACreateAndAnExecAreHeldInTheRuntime() throws Exception {
        Path dir = Files.createTempDirectory(h.work, "held");
        Path runtime = heldRuntime(dir);
        fifo(dir.resolve("gate-create"));
        fifo(dir.resolve("gate-exec"));
        BusyboxBundle held = BusyboxBundle.builder(dir.resolve("held")).args("/bin/sleep", "1000").build();
        annotate(held, Map.of("io.containerd.runhcs.v1.oci-runtime", runtime.toString()));
        BusyboxBundle other = BusyboxBundle.builder(dir.resolve("other")).args("/bin/sleep", "1000").build();

        CompletableFuture<CreateTaskResponse> heldCreate = CompletableFuture.supplyAsync(() -> call(TaskGrpc.getCreateMethod(),
                CreateTaskRequest.newBuilder().setId("held").setBundle(held.dir().toString()).build()));
        ShimHarness.await("the held runtime to run create", CALL, () -> Files.exists(dir.resolve("entered-create")));
        try {
            // A Create of another task, and State/Kill of a running one, while that create is held.
            assertTrue(call(TaskGrpc.getCreateMethod(), CreateTaskRequest.newBuilder().setId("other")
                    .setBundle(other.dir().toString()).build()).getPid() > 0);
            assertEquals(Status.CREATED, call(TaskGrpc.getStateMethod(), StateRequest.newBuilder().setId("other").build()).getStatus());
            assertEquals(Status.RUNNING, call(TaskGrpc.getStateMethod(), StateRequest.newBuilder().setId(TASK).build()).getStatus());
            call(TaskGrpc.getKillMethod(), KillRequest.newBuilder().setId(TASK).setSignal(18 /* SIGCONT */).build());
            assertFalse(heldCreate.isDone(), "the create is still held");
        } finally {
            open(dir.resolve("gate-create"));
        }
        assertTrue(heldCreate.get(60, TimeUnit.SECONDS).getPid() > 0);
        call(TaskGrpc.getStartMethod(), StartRequest.newBuilder().setId("held").build());

        call(TaskGrpc.getExecMethod(), ExecProcessRequest.newBuilder().setId("held").setExecId("e")
                .setSpec(Any.newBuilder().setTypeUrl("types.containerd.io/opencontainers/runtime-spec/1/Process")
                        .setValue(ByteString.copyFromUtf8(held.processSpec(false, "/bin/true")))).build());
        CompletableFuture<StartResponse> heldExec = CompletableFuture.supplyAsync(() -> call(TaskGrpc.getStartMethod(),
                StartRequest.newBuilder().setId("held").setExecId("e").build()));
        ShimHarness.await("the held runtime to run exec", CALL, () -> Files.exists(dir.resolve("entered-exec")));
        try {
            // State and Kill of the very task whose exec is being started.
            assertEquals(Status.RUNNING, call(TaskGrpc.getStateMethod(), StateRequest.newBuilder().setId("held").build()).getStatus());
            assertEquals(Status.CREATED, call(TaskGrpc.getStateMethod(), StateRequest.newBuilder().setId("held").setExecId("e").build()).getStatus());
            call(TaskGrpc.getKillMethod(), KillRequest.newBuilder().setId("held").setSignal(18).build());
            assertFalse(heldExec.isDone(), "the exec start is still held");
        } finally {
            open(dir.resolve("gate-exec"));
        }
        assertTrue(heldExec.get(60, TimeUnit.SECONDS).getPid() > 0);
        assertEquals(0, waitFor("held", "e").getExitStatus());
        for (String id : List.of("held", "other")) {
            call(TaskGrpc.getKillMethod(), KillRequest.newBuilder().setId(id).setSignal(9).build());
            assertEquals(137, waitFor(id, "").getExitStatus());
            call(TaskGrpc.getDeleteMethod(), DeleteRequest.newBuilder().setId(id).build());
        }
    }

    /**
     * An OCI runtime that holds {@code create} and {@code exec} until the test writes a line to
     * {@code gate-create}/{@code gate-exec} in {@code dir} (while that FIFO exists), then runs runc.
     */
    private static Path heldRuntime(Path dir) throws IOException {
        Path runc = java.util.Arrays.stream(System.getenv("PATH").split(":")).map(d -> Path.of(d, "runc"))
                .filter(Files::isExecutable).findFirst().orElseThrow(() -> new AssertionError("no runc on PATH"));
        Path script = dir.resolve("held-runtime");
        Files.writeString(script, """
                #!/bin/sh
                for arg in "$@"; do
                  case "$arg" in
                    create|exec)
                      gate="%1$s/gate-$arg"
                      if [ -p "$gate" ]; then
                        touch "%1$s/entered-$arg"
                        read -r go < "$gate"
                        rm -f "$gate"
                      fi
                      break ;;
                  esac
                done
                exec %2$s "$@"
                """.formatted(dir, runc));
        script.toFile().setExecutable(true);
        return script;
    }

    private static void annotate(BusyboxBundle bundle, Map<String, String> annotations) throws IOException {
        ObjectMapper json = new ObjectMapper();
        @SuppressWarnings("unchecked")
        Map<String, Object> config = json.readValue(bundle.configJson().toFile(), Map.class);
        config.put("annotations", new HashMap<>(annotations));
        json.writeValue(bundle.configJson().toFile(), config);
    }

    /** Lets a held runtime call go on: one line into its gate FIFO (bounded: the script is reading). */
    private static void open(Path gate) throws Exception {
        CompletableFuture.runAsync(() -> {
            try {
                Files.writeString(gate, "go\n");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(60, TimeUnit.SECONDS);
    }

    private static WaitResponse waitFor(String id, String execId) {
        return call(TaskGrpc.getWaitMethod(), WaitRequest.newBuilder().setId(id).setExecId(execId).build());
    }

    /** Reads a FIFO until {@code marker} has arrived; the future holds what was read. */
    private static CompletableFuture<String> readUntil(Path fifo, String marker) {
        CompletableFuture<String> result = new CompletableFuture<>();
        Thread.startVirtualThread(() -> {
            StringBuilder text = new StringBuilder();
            try (InputStream in = Files.newInputStream(fifo)) {
                byte[] buf = new byte[4096];
                int n;
                while (!text.toString().contains(marker) && (n = in.read(buf)) > 0) {
                    text.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
                result.complete(text.toString());
            } catch (IOException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    private static CompletableFuture<WaitResponse> wait(String execId) {
        return CompletableFuture.supplyAsync(() -> call(TaskGrpc.getWaitMethod(), WaitRequest.newBuilder().setId(TASK).setExecId(execId).build()));
    }

    private static Any processSpec(String... args) {
        try {
            BusyboxBundle b = BusyboxBundle.builder(Files.createTempDirectory(h.work, "spec")).build();
            return Any.newBuilder().setTypeUrl("types.containerd.io/opencontainers/runtime-spec/1/Process")
                    .setValue(ByteString.copyFromUtf8(b.processSpec(false, args))).build();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** A FIFO for a process's stdio, as containerd's clients make them. */
    private static String fifo(String name) {
        return fifo(h.work.resolve(name));
    }

    private static String fifo(Path p) {
        try {
            new ProcessBuilder("mkfifo", p.toString()).start().waitFor(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return p.toString();
    }
}
