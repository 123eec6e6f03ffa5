package dev.hcsshim.shim.windows;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.Empty;
import dev.hcsshim.fixtures.HcsDouble;
import dev.hcsshim.proto.runhcs.diag.ExecProcessRequest;
import dev.hcsshim.proto.runhcs.diag.ShareRequest;
import dev.hcsshim.proto.runhcs.diag.ShimDiagGrpc;
import dev.hcsshim.proto.services.events.v1.EventsGrpc;
import dev.hcsshim.proto.services.events.v1.ForwardRequest;
import dev.hcsshim.proto.task.v2.CreateTaskRequest;
import dev.hcsshim.proto.task.v2.DeleteRequest;
import dev.hcsshim.proto.task.v2.DeleteResponse;
import dev.hcsshim.proto.task.v2.ShutdownRequest;
import dev.hcsshim.proto.task.v2.StartRequest;
import dev.hcsshim.proto.task.v2.TaskGrpc;
import dev.hcsshim.proto.task.v2.WaitRequest;
import dev.hcsshim.proto.task.v2.WaitResponse;
import dev.hcsshim.shim.platform.Platform;
import dev.hcsshim.shim.windows.WindowsPlatform;
import dev.hcsshim.transport.PipeAddress;
import dev.hcsshim.transport.TtrpcEndpoint;
import dev.hcsshim.transport.UnixSockets;
import dev.hcsshim.ttrpc.TtrpcClient;
import dev.hcsshim.ttrpc.TtrpcServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Windows {@code serve} and {@code delete} commands end to end on Linux: the shim runs as its
 * own JVM under the Windows platform, against the vmcompute double, with unix sockets standing for
 * every named pipe (its protected endpoint, its log pipe, containerd's stdio pipes). A ttrpc client
 * plays containerd; a stand-in events service takes the task events. The double's state files
 * show what HCS would hold after the shim is gone.
 */
@Timeout(120)
class WindowsServeTest {
    private static final Duration CALL = Duration.ofSeconds(30);
    private static final Map<String, String> NAMESPACE = Map.of("containerd-namespace-ttrpc", "default");
    /** Blocking reads each on a thread of their own (the common pool may have a single thread). */
    private static final java.util.concurrent.Executor READERS = r -> Thread.ofVirtual().start(r);

    @TempDir
    Path tmp;
    Path pipes;
    Path hcsState;
    TtrpcEndpoint eventsEndpoint;
    final List<String> topics = new CopyOnWriteArrayList<>();
    final List<Process> children = new ArrayList<>();

    @BeforeEach
    void standInContainerd() throws Exception {
        pipes = Files.createDirectories(tmp.resolve("p"));
        hcsState = Files.createDirectories(tmp.resolve("hcs"));
        TtrpcServer events = TtrpcServer.builder().addService(new EventsGrpc.EventsImplBase() {
            @Override
            public void forward(ForwardRequest request, StreamObserver<Empty> out) {
                topics.add(request.getEnvelope().getTopic());
                out.onNext(Empty.getDefaultInstance());
                out.onCompleted();
            }
        }).build();
        eventsEndpoint = TtrpcEndpoint.listen(events, new PipeAddress.UnixSocket(tmp.resolve("containerd.sock.ttrpc")),
                UnixSockets.Access.OWNER_ONLY);
    }

    @AfterEach
    void stop() throws InterruptedException {
        for (Process p : children) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        eventsEndpoint.close();
    }

    @Test
    void serveRunsAProcessIsolatedTaskOverTheBridgedPipe() throws Exception {
        Path bundle = HcsTaskBackendTest.bundle(tmp, HcsTaskBackendTest.INIT);
        Process daemon = shim("wsvc", bundle, "serve");
        String address = readyLine(daemon, "wsvc-serve");
        assertEquals("OK \\\\.\\pipe\\ProtectedPrefix\\Administrators\\containerd-shim-default-wsvc-pipe", address);
        CompletableFuture<String> log = readAll(dial("\\\\.\\pipe\\containerd-shim-default-wsvc-log"));
        CompletableFuture<String> stdout = pipeOutput("\\\\.\\pipe\\containerd-wsvc-stdout");

        try (TtrpcClient client = TtrpcClient.forSocket(WindowsPipes.socketFor(pipes, address.substring(3)))) {
            assertEquals(0, client.call(TaskGrpc.getCreateMethod(), CreateTaskRequest.newBuilder().setId("wsvc")
                    .setBundle(bundle.toString()).setStdout("\\\\.\\pipe\\containerd-wsvc-stdout").build(), NAMESPACE, CALL)
                    .get().getPid(), "no HCS process before Start");
            assertEquals("created", state("wsvc"));
            CompletableFuture<WaitResponse> waited = client.call(TaskGrpc.getWaitMethod(),
                    WaitRequest.newBuilder().setId("wsvc").build(), NAMESPACE, CALL);
            int pid = client.call(TaskGrpc.getStartMethod(), StartRequest.newBuilder().setId("wsvc").build(), NAMESPACE, CALL)
                    .get().getPid();
            assertTrue(pid > 0, "pid " + pid);
            assertEquals(7, waited.get(30, TimeUnit.SECONDS).getExitStatus());
            assertEquals("done\n", stdout.get(30, TimeUnit.SECONDS), "the init's output relayed to containerd's pipe");

            // diag: exec on the shim's host (a process-isolated task has no utility VM), share refused
            CompletableFuture<String> diagOut = pipeOutput("\\\\.\\pipe\\diag-out");
            assertEquals(3, client.call(ShimDiagGrpc.getDiagExecInHostMethod(), ExecProcessRequest.newBuilder()
                    .addArgs("sh").addArgs("-c").addArgs("echo from-host; exit 3").setStdout("\\\\.\\pipe\\diag-out").build(),
                    NAMESPACE, CALL).get().getExitCode());
            assertEquals("from-host\n", diagOut.get(30, TimeUnit.SECONDS));
            StatusRuntimeException share = failure(client.call(ShimDiagGrpc.getDiagShareMethod(), ShareRequest.newBuilder()
                    .setHostPath(tmp.toString()).setUvmPath("C:\\share").build(), NAMESPACE, CALL));
            assertEquals(Status.Code.FAILED_PRECONDITION, share.getStatus().getCode(), share.toString());

            DeleteResponse deleted = client.call(TaskGrpc.getDeleteMethod(), DeleteRequest.newBuilder().setId("wsvc").build(),
                    NAMESPACE, CALL).get();
            assertEquals(7, deleted.getExitStatus());
            assertEquals(pid, deleted.getPid());
            assertEquals("terminated", state("wsvc"), "delete terminated the compute system");

            client.call(TaskGrpc.getShutdownMethod(), ShutdownRequest.newBuilder().setId("wsvc").build(), NAMESPACE, CALL)
                    .exceptionally(connectionClosedByExit -> Empty.getDefaultInstance());
            assertTrue(daemon.waitFor(30, TimeUnit.SECONDS), "Shutdown with no task left ends the daemon");
            assertEquals(0, daemon.exitValue());
        }
        assertEquals(List.of("/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"), topics);
        assertTrue(log.get(30, TimeUnit.SECONDS).contains("diag exec [sh, -c, echo from-host; exit 3] on the shim host"),
                "the daemon logs into the log pipe containerd reads");
        assertNoLinuxClassLoaded("wsvc-serve");
        assertFalse(Files.exists(WindowsPipes.socketFor(pipes, address.substring(3))), "the endpoint is gone with the daemon");
    }

    @Test
    void deleteAfterAKilledDaemonTerminatesTheComputeSystem() throws Exception {
        Path bundle = HcsTaskBackendTest.bundle(tmp, HcsTaskBackendTest.INIT);
        Process daemon = shim("wcrash", bundle, "serve");
        String address = readyLine(daemon, "wcrash-serve").substring(3);
        Files.writeString(bundle.resolve("address"), address); // what start leaves for delete
        try (TtrpcClient client = TtrpcClient.forSocket(WindowsPipes.socketFor(pipes, address))) {
            client.call(TaskGrpc.getCreateMethod(), CreateTaskRequest.newBuilder().setId("wcrash")
                    .setBundle(bundle.toString()).build(), NAMESPACE, CALL).get();
            client.call(TaskGrpc.getStartMethod(), StartRequest.newBuilder().setId("wcrash").build(), NAMESPACE, CALL).get();
        }
        daemon.destroyForcibly();
        assertTrue(daemon.waitFor(30, TimeUnit.SECONDS));
        assertEquals("running", state("wcrash"), "HCS keeps the system after its shim died");

        Process delete = shim("wcrash", bundle, "delete");
        byte[] out = delete.getInputStream().readAllBytes();
        assertTrue(delete.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, delete.exitValue(), () -> "delete failed: " + stderrOf("wcrash-delete"));
        DeleteResponse response = DeleteResponse.parseFrom(out);
        assertEquals(dev.hcsshim.process.ExitStatus.UNKNOWN_STATUS, response.getExitStatus(), "an exit nobody saw is reported as killed");
        assertEquals("terminated", state("wcrash"), "delete ran HCS's cleanup: " + stderrOf("wcrash-delete"));
        assertFalse(stderrOf("wcrash-delete").contains("cleanup of"), stderrOf("wcrash-delete"));
        assertNoLinuxClassLoaded("wcrash-delete");
        try (var left = Files.list(tmp.resolve("s"))) {
            assertEquals(List.of(), left.toList(), "the dead daemon's private sockets are removed");
        }

        // again: nothing left to clean is success (the goal is reached)
        Process again = shim("wcrash", bundle, "delete");
        again.getInputStream().readAllBytes();
        assertTrue(again.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, again.exitValue());
        assertFalse(stderrOf("wcrash-delete").contains("cleanup of"), stderrOf("wcrash-delete"));
    }

    /**
     * The shim's own program ({@code ShimMain}) as containerd runs it, under the Windows platform:
     * pipes in {@link #pipes}, HCS state in {@link #hcsState}, every class it loads logged.
     */
    private Process shim(String id, Path bundle, String command) throws IOException {
        String name = id + "-" + command;
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx128m",
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Xlog:class+load=info:file=" + tmp.resolve(name + ".classes"),
                "-D" + Platform.PROPERTY + "=windows",
                "-Dhcsshim.native.override=" + HcsDouble.library(),
                "-D" + WindowsPlatform.PIPE_DIR + "=" + pipes,
                "-Dhcsshim.socket.dir=" + tmp.resolve("s"),
                "-cp", System.getProperty("java.class.path"), "dev.hcsshim.shim.ShimMain",
                "-namespace", "default", "-id", id, "-address", tmp.resolve("containerd.sock").toString(),
                "-bundle", bundle.toString(), command));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(bundle.toFile())
                .redirectError(tmp.resolve(name + ".stderr").toFile());
        pb.environment().put("HCS_DOUBLE_STATE_DIR", hcsState.toString());
        pb.environment().put("HCS_DOUBLE_PROCESS", "7:done\n");
        pb.environment().put("TTRPC_ADDRESS", tmp.resolve("containerd.sock.ttrpc").toString());
        Process p = pb.start();
        children.add(p);
        p.getOutputStream().close(); // no runtime options
        return p;
    }

    private String readyLine(Process daemon, String name) throws Exception {
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                return new BufferedReader(new InputStreamReader(daemon.getInputStream(), StandardCharsets.UTF_8)).readLine();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, READERS);
        String ready = line.get(60, TimeUnit.SECONDS);
        assertNotNull(ready, () -> "the daemon exited before serving: " + stderrOf(name));
        assertTrue(ready.startsWith("OK "), ready);
        return ready;
    }

    private String stderrOf(String name) {
        try {
            return Files.readString(tmp.resolve(name + ".stderr"));
        } catch (IOException e) {
            return "(no stderr: " + e + ")";
        }
    }

    private String state(String id) throws IOException {
        return Files.readString(hcsState.resolve(id));
    }

    /** What the class-load log of a shim process shows: the Windows path, and none of Linux's. */
    private void assertNoLinuxClassLoaded(String name) throws IOException {
        List<String> ours = Files.readAllLines(tmp.resolve(name + ".classes")).stream()
                .filter(l -> l.contains(" dev.hcsshim.")).toList();
        assertTrue(ours.stream().anyMatch(l -> l.contains("dev.hcsshim.shim.windows.WindowsPlatform ")), "the log works");
        List<String> linux = ours.stream().filter(l -> l.contains("dev.hcsshim.linux.") || l.contains("dev.hcsshim.shim.linux.")
                || l.contains("dev.hcsshim.shim.linux.LinuxPlatform") || l.contains("dev.hcsshim.shim.linux.Daemonize")
                || l.contains("dev.hcsshim.shim.linux.LinuxDiagHost") || l.contains("dev.hcsshim.shim.linux.HostExec")).toList();
        assertEquals(List.of(), linux, "Linux classes on the Windows path");
    }

    /** containerd's end of a stdio pipe: everything the shim writes until it closes. */
    private CompletableFuture<String> pipeOutput(String pipe) throws IOException {
        ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(WindowsPipes.socketFor(pipes, pipe)));
        CompletableFuture<SocketChannel> accepted = CompletableFuture.supplyAsync(() -> {
            try (listener) {
                return listener.accept();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, READERS);
        return accepted.thenCompose(c -> readAll(c));
    }

    private SocketChannel dial(String pipe) throws IOException {
        return SocketChannel.open(UnixDomainSocketAddress.of(WindowsPipes.socketFor(pipes, pipe)));
    }

    private static CompletableFuture<String> readAll(SocketChannel channel) {
        return CompletableFuture.supplyAsync(() -> {
            try (channel; InputStream in = Channels.newInputStream(channel)) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                in.transferTo(b);
                return b.toString(StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, READERS);
    }

    private static StatusRuntimeException failure(CompletableFuture<?> call) throws InterruptedException {
        try {
            call.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof StatusRuntimeException s) return s;
            throw new AssertionError("not a status: " + e.getCause(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no answer", e);
        }
        throw new AssertionError("the call succeeded");
    }
}
