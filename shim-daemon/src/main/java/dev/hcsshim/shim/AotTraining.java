package dev.hcsshim.shim;

import dev.hcsshim.shim.sharing.TaskGrouping;
import com.google.protobuf.Empty;
import dev.hcsshim.proto.runhcs.diag.PidRequest;
import dev.hcsshim.proto.runhcs.diag.ShimDiagGrpc;
import dev.hcsshim.proto.runhcs.diag.StacksRequest;
import dev.hcsshim.proto.runhcs.diag.TasksRequest;
import dev.hcsshim.proto.runhcs.options.Options;
import dev.hcsshim.proto.services.events.v1.EventsGrpc;
import dev.hcsshim.proto.services.events.v1.ForwardRequest;
import dev.hcsshim.proto.task.v2.ConnectRequest;
import dev.hcsshim.proto.task.v2.CreateTaskRequest;
import dev.hcsshim.proto.task.v2.StateRequest;
import dev.hcsshim.proto.task.v2.TaskGrpc;
import dev.hcsshim.transport.PipeAddress;
import dev.hcsshim.transport.TtrpcEndpoint;
import dev.hcsshim.transport.UnixSockets;
import dev.hcsshim.ttrpc.TtrpcClient;
import dev.hcsshim.ttrpc.TtrpcServer;
import io.grpc.MethodDescriptor;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The workloads the build runs under {@code -XX:AOTCacheOutput} to record JDK 25's
 * ahead-of-time caches, so the classes a shim needs are already loaded and linked when containerd
 * starts one. There are two, because a cache loads every class it holds at start-up: the short
 * commands containerd waits for ({@code start}, {@code delete}) get a small one (cli.aot), the
 * daemon a large one (shim.aot) holding the whole serving path.
 */
final class AotTraining {
    private AotTraining() {}

    /** {@code start}'s work before it launches the daemon, and a whole {@code delete}. */
    static int runCli() throws Exception {
        Path dir = Files.createTempDirectory("runhcs-aot-cli");
        System.setProperty("hcsshim.socket.dir", dir.resolve("s").toString());
        java.io.PrintStream out = System.out;
        try {
            Path bundle = dir.resolve("bundle");
            Files.createDirectories(bundle);
            Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"annotations\":{\"a\":\"b\"}}");
            String group = TaskGrouping.groupOf("train", bundle.resolve("config.json"));
            ShimEndpoint endpoint = ShimEndpoint.forShim(dir.resolve("containerd.sock").toString(), "aot", group);
            endpoint.isServing();
            StartCommand.writeAddressFile(bundle, endpoint.address());
            System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
            new DeleteCommand(new ShimFlags("aot", "train", dir.resolve("containerd.sock").toString(), "", bundle, "", false, "delete")).run();
            return 0;
        } finally {
            System.setOut(out);
            deleteTree(dir);
        }
    }

    /** A daemon serving on real sockets: ttrpc, gRPC and diag calls, and an event to a stand-in containerd. */
    static int run() throws Exception {
        Path dir = Files.createTempDirectory("runhcs-aot");
        System.setProperty("hcsshim.socket.dir", dir.resolve("s").toString());
        System.setProperty("hcsshim.log.level", "warn");
        try {
            // What `start` does before it launches the daemon.
            Path bundle = dir.resolve("bundle");
            Files.createDirectories(bundle);
            Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"annotations\":{\"a\":\"b\"}}");
            String group = TaskGrouping.groupOf("train", bundle.resolve("config.json"));
            ShimEndpoint.forShim(dir.resolve("containerd.sock").toString(), "aot", group).isServing();

            // A stand-in for containerd's event service, so the publisher's path runs too.
            CountDownLatch forwarded = new CountDownLatch(1);
            TtrpcServer eventsServer = TtrpcServer.builder().addService(new EventsGrpc.EventsImplBase() {
                @Override
                public void forward(ForwardRequest request, StreamObserver<Empty> out) {
                    out.onNext(Empty.getDefaultInstance());
                    out.onCompleted();
                    forwarded.countDown();
                }
            }).build();
            try (TtrpcEndpoint events = TtrpcEndpoint.listen(eventsServer,
                    new PipeAddress.UnixSocket(dir.resolve("containerd.sock.ttrpc")), UnixSockets.Access.OWNER_ONLY)) {
                ShimFlags flags = new ShimFlags("aot", "train", dir.resolve("containerd.sock").toString(), "", bundle, "", false, "serve");
                ServeCommand serve = new ServeCommand(flags);
                serve.start(Options.getDefaultInstance());
                serve.startSecondary();
                try (TtrpcClient client = TtrpcClient.forSocket(ShimEndpoint.forShim(flags.address(), "aot", "train").path())) {
                    Map<String, String> md = Map.of("containerd-namespace-ttrpc", "aot");
                    expectFailure(client, TaskGrpc.getStateMethod(), StateRequest.newBuilder().setId("none").build(), md);
                    expectFailure(client, TaskGrpc.getConnectMethod(), ConnectRequest.newBuilder().setId("none").build(), md);
                    expectFailure(client, TaskGrpc.getCreateMethod(), CreateTaskRequest.newBuilder().setId("../bad").build(), md);
                    client.call(ShimDiagGrpc.getDiagPidMethod(), PidRequest.getDefaultInstance(), md, Duration.ofSeconds(30)).get();
                    client.call(ShimDiagGrpc.getDiagTasksMethod(), TasksRequest.newBuilder().setExecs(true).build(), md, Duration.ofSeconds(30)).get();
                    client.call(ShimDiagGrpc.getDiagStacksMethod(), StacksRequest.getDefaultInstance(), md, Duration.ofSeconds(30)).get();
                }
                dev.hcsshim.shim.task.EventSink sink = serve.eventSink();
                sink.publish("/tasks/exit", dev.hcsshim.proto.events.TaskExit.newBuilder().setContainerId("train").build());
                forwarded.await(30, TimeUnit.SECONDS);
                serve.stop();
            }
            return 0;
        } finally {
            deleteTree(dir);
        }
    }

    private static <Q, R> void expectFailure(TtrpcClient client, MethodDescriptor<Q, R> m, Q req, Map<String, String> md) {
        try {
            client.call(m, req, md, Duration.ofSeconds(30)).get();
        } catch (Exception expected) {
            // the error path is part of what is trained
        }
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
