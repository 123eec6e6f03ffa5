package dev.hcsshim.ttrpc;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.Any;
import com.google.protobuf.Timestamp;
import dev.hcsshim.fixtures.PrivateContainerd;
import dev.hcsshim.proto.events.TaskExit;
import dev.hcsshim.proto.services.events.v1.Envelope;
import dev.hcsshim.proto.services.events.v1.EventsGrpc;
import dev.hcsshim.proto.services.events.v1.ForwardRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Our ttrpc client against containerd's own ttrpc server, and the PrivateContainerd fixture itself. */
class ContainerdInteropTest {
    private static final Duration BOUND = Duration.ofSeconds(20);
    private static Path workDir;
    private static PrivateContainerd containerd;

    @BeforeAll
    static void start() throws Exception {
        workDir = Files.createTempDirectory(Path.of("/tmp"), "cd-");
        containerd = PrivateContainerd.start(workDir);
    }

    @AfterAll
    static void stop() throws Exception {
        if (containerd != null) {
            long pid = containerd.pid().orElseThrow();
            containerd.close();
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "containerd still running");
        }
        if (workDir != null) {
            try (var walk = Files.walk(workDir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void forwardedTaskExitReachesCtrEvents() throws Exception {
        try (PrivateContainerd.Events events = containerd.startEvents();
             TtrpcClient client = TtrpcClient.forAddress("unix://" + containerd.ttrpcAddress())) {
            Instant now = Instant.now();
            Timestamp ts = Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
            TaskExit exit = TaskExit.newBuilder().setContainerId("interop-c1").setId("interop-c1").setPid(4242)
                    .setExitStatus(7).setExitedAt(ts).build();
            // containerd's typeurl registry knows events by bare full name, no type.googleapis.com/ prefix
            Any event = Any.newBuilder().setTypeUrl("containerd.events.TaskExit").setValue(exit.toByteString()).build();
            Envelope env = Envelope.newBuilder().setTimestamp(ts).setNamespace("interop-ns").setTopic("/tasks/exit")
                    .setEvent(event).build();
            client.call(EventsGrpc.getForwardMethod(), ForwardRequest.newBuilder().setEnvelope(env).build(),
                    Map.of(Namespaces.TTRPC_KEY.name(), "interop-ns"), BOUND).get();
            String line = events.awaitLine(l -> l.contains("/tasks/exit") && l.contains("interop-c1"), BOUND);
            assertTrue(line.contains(" interop-ns "), line);
            assertTrue(line.contains("4242"), line);
        }
    }

    @Test
    void unknownMethodOnContainerdIsUnimplemented() {
        try (TtrpcClient client = TtrpcClient.forSocket(containerd.ttrpcAddress())) {
            var m = TestService.unary("containerd.services.events.ttrpc.v1.Events", "Nope",
                    com.google.protobuf.StringValue.getDefaultInstance(), com.google.protobuf.StringValue.getDefaultInstance());
            var e = assertThrows(io.grpc.StatusRuntimeException.class,
                    () -> client.blockingCall(m, com.google.protobuf.StringValue.of("x"), null, BOUND));
            assertEquals(io.grpc.Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
        }
    }

    @Test
    void fixtureRestartsOnTheSameDirs() throws Exception {
        containerd.ctr(BOUND, "namespaces", "create", "survives").requireOk();
        long before = containerd.pid().orElseThrow();
        containerd.restart();
        assertNotEquals(before, containerd.pid().orElseThrow());
        assertFalse(ProcessHandle.of(before).map(ProcessHandle::isAlive).orElse(false));
        assertTrue(containerd.ctr(BOUND, "namespaces", "ls").requireOk().stdout().contains("survives"));
        assertTrue(containerd.log().contains("containerd successfully booted"), containerd.log());
        assertTrue(Files.exists(containerd.ttrpcAddress()));
        assertFalse(Files.exists(Path.of("/opt/containerd")) && !Files.exists(workDir.resolve("opt")),
                "opt plugin must use the work dir");
        containerd.ctr(BOUND, "namespaces", "remove", "survives").requireOk();
    }

    @Test
    void ctrReportsFailures() {
        PrivateContainerd.CtrResult r = containerd.ctr(BOUND, "containers", "info", "does-not-exist");
        assertNotEquals(0, r.exitCode());
        assertTrue(r.stderr().contains("not found"), r.stderr());
        assertThrows(AssertionError.class, r::requireOk);
    }
}
