package dev.hcsshim.ttrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.google.protobuf.StringValue;
import dev.hcsshim.transport.PipeAddress;
import dev.hcsshim.transport.TtrpcEndpoint;
import dev.hcsshim.transport.UnixSockets;
import io.grpc.Status;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Peers that announce large frames and stall: what the server buffers stays within its
 * partial-frame budget, the excess connections are closed, and the server keeps serving, large
 * requests included.
 */
class PartialFrameBudgetTest {
    private static final int MIB = 1 << 20;
    private static final Duration BOUND = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    @Test
    void fiftyStalledThreeMegabyteFramesStayWithinTheBudgetAndTheServerKeepsServing() throws Exception {
        Path socket = tmp.resolve("ttrpc.sock");
        PartialFrameBudget budget = new PartialFrameBudget(8L * MIB);
        TtrpcServer server = TtrpcServer.builder().addService(new TestService().definition())
                .partialFrameBudget(budget).partialFrameStallTimeout(Duration.ofSeconds(3)).build();
        List<RawConn> probes = new ArrayList<>();
        Logger decoderLog = (Logger) LoggerFactory.getLogger(FrameDecoder.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        decoderLog.addAppender(logged);
        try (TtrpcEndpoint endpoint = TtrpcEndpoint.listen(server, new PipeAddress.UnixSocket(socket), UnixSockets.Access.OWNER_ONLY);
                TtrpcClient client = TtrpcClient.forSocket(socket);
                var writers = Executors.newVirtualThreadPerTaskExecutor()) {
            assertEquals("echo:warm", client.blockingCall(TestService.ECHO, StringValue.of("warm"), null, BOUND).getValue());
            long directBefore = usedDirectMemory();

            // Each probe announces 3 MiB and sends 2 MiB; the write ends when the server has
            // taken it all or has closed the connection.
            List<CompletableFuture<Void>> sent = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                RawConn probe = new RawConn(socket);
                probes.add(probe);
                sent.add(CompletableFuture.runAsync(() -> {
                    try {
                        probe.write(RawConn.header(3L * MIB, 1, Frame.TYPE_REQUEST, 0));
                        probe.write(new byte[2 * MIB]);
                    } catch (IOException closedByServer) {
                        // refused: expected for the connections beyond the budget
                    }
                }, writers));
            }
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(BOUND.toSeconds(), TimeUnit.SECONDS);

            long held = usedDirectMemory() - directBefore;
            assertTrue(held < 32L * MIB, "direct memory held for 50 stalled 3 MiB frames: " + held / MIB + " MiB");
            assertTrue(budget.used() <= budget.limit(), "budget in use " + budget.used());

            // The stalled connections are closed and give their bytes back.
            await("stalled partial frames to be released", () -> budget.used() == 0);
            assertEquals("echo:after", client.blockingCall(TestService.ECHO, StringValue.of("after"), null, BOUND).getValue());

            String large = "x".repeat(3 * MIB);
            try (RawConn legit = new RawConn(socket)) {
                legit.write(RawConn.request(3, TestService.NAME, "Echo", StringValue.of(large)));
                RawConn.RawFrame r = legit.read(BOUND);
                assertEquals(3, r.streamId());
                assertEquals(Status.Code.OK.value(), r.response().getStatus().getCode());
                assertEquals("echo:" + large, StringValue.parseFrom(r.response().getPayload()).getValue());
            }
            List<ILoggingEvent> warnings = logged.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
            assertEquals(1, warnings.size(), () -> "one warning for the refused connections: " + warnings);
            assertTrue(logged.list.stream().noneMatch(e -> e.getThrowableProxy() != null), "no stack traces (OutOfMemoryError or other)");
        } finally {
            decoderLog.detachAppender(logged);
            for (RawConn probe : probes) probe.close();
        }
    }

    private static long usedDirectMemory() {
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider p) {
            return p.metric().usedDirectMemory();
        }
        return io.netty.util.internal.PlatformDependent.usedDirectMemory();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + BOUND.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(20);
        }
    }
}
