package dev.hcsshim.shim.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Empty;
import dev.hcsshim.proto.events.TaskExit;
import dev.hcsshim.proto.services.events.v1.Envelope;
import dev.hcsshim.proto.services.events.v1.EventsGrpc;
import dev.hcsshim.proto.services.events.v1.ForwardRequest;
import dev.hcsshim.transport.PipeAddress;
import dev.hcsshim.transport.TtrpcEndpoint;
import dev.hcsshim.transport.UnixSockets;
import dev.hcsshim.ttrpc.TtrpcServer;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The publisher against a real ttrpc Events server that is away for a while, as containerd is while it restarts. */
class EventPublisherTest {
    @TempDir
    Path tmp;

    private final List<Envelope> received = new CopyOnWriteArrayList<>();

    private TtrpcEndpoint startEventsServer(Path socket) throws Exception {
        TtrpcServer server = TtrpcServer.builder().addService(new EventsGrpc.EventsImplBase() {
            @Override
            public void forward(ForwardRequest request, StreamObserver<Empty> out) {
                received.add(request.getEnvelope());
                out.onNext(Empty.getDefaultInstance());
                out.onCompleted();
            }
        }).build();
        return TtrpcEndpoint.listen(server, new PipeAddress.UnixSocket(socket), UnixSockets.Access.OWNER_ONLY);
    }

    private static TaskExit exit(int pid) {
        return TaskExit.newBuilder().setContainerId("c").setId("c").setPid(pid).setExitStatus(pid % 256).build();
    }

    @Test
    void eventsPublishedWhileContainerdIsAwayArriveInOrderOnceItIsBack() throws Exception {
        Path socket = tmp.resolve("c/containerd.sock.ttrpc");
        try (EventPublisher publisher = new EventPublisher("ns", socket)) {
            long before = System.nanoTime();
            for (int pid = 1; pid <= 5; pid++) {
                publisher.publish("/tasks/exit", exit(pid));
            }
            assertTrue(System.nanoTime() - before < Duration.ofSeconds(1).toNanos(), "publish must not block on an absent containerd");
            assertTrue(received.isEmpty());

            try (TtrpcEndpoint events = startEventsServer(socket)) {
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (received.size() < 5 && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                    Thread.sleep(10);
                }
                assertEquals(5, received.size(), "every event is delivered once containerd is back");
                for (int i = 0; i < 5; i++) {
                    Envelope e = received.get(i);
                    assertEquals("/tasks/exit", e.getTopic());
                    assertEquals("ns", e.getNamespace());
                    assertEquals("containerd.events.TaskExit", e.getEvent().getTypeUrl());
                    assertEquals(i + 1, TaskExit.parseFrom(e.getEvent().getValue()).getPid(), "in publication order");
                }
            }
        }
    }

    @Test
    void aFullQueueDropsInsteadOfBlocking() throws Exception {
        Path socket = tmp.resolve("absent/containerd.sock.ttrpc");
        try (EventPublisher publisher = new EventPublisher("ns", socket)) {
            long before = System.nanoTime();
            for (int i = 0; i < EventPublisher.CAPACITY + 100; i++) {
                publisher.publish("/tasks/exit", exit(i));
            }
            assertTrue(System.nanoTime() - before < Duration.ofSeconds(5).toNanos(), "a full queue never blocks the caller");
            assertTrue(publisher.backlog() <= EventPublisher.CAPACITY);
        }
    }
}
