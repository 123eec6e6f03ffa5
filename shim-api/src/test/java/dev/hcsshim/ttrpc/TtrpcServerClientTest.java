package dev.hcsshim.ttrpc;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.Int64Value;
import com.google.protobuf.StringValue;
import dev.hcsshim.transport.PeerCredentialGuard;
import dev.hcsshim.transport.PipeAddress;
import dev.hcsshim.transport.TtrpcEndpoint;
import dev.hcsshim.transport.UnixSockets;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TtrpcServerClientTest {
    private static final Duration BOUND = Duration.ofSeconds(10);

    @TempDir
    Path tmp;
    private Path socket;
    private TestService service;
    private TtrpcEndpoint endpoint;
    private TtrpcClient client;

    @BeforeEach
    void start() throws Exception {
        socket = tmp.resolve("s/ttrpc.sock");
        service = new TestService();
        endpoint = startServer(service);
        client = TtrpcClient.forSocket(socket);
    }

    private TtrpcEndpoint startServer(TestService svc) throws Exception {
        TtrpcServer server = TtrpcServer.builder()
                .addService(svc.definition())
                .intercept(StatusMapper.interceptor())
                .intercept(TestService.HEADER_INTERCEPTOR)
                .intercept(Namespaces.interceptor())
                .build();
        return TtrpcEndpoint.listen(server, new PipeAddress.UnixSocket(socket), UnixSockets.Access.OWNER_ONLY);
    }

    @AfterEach
    void stop() {
        if (client != null) client.close();
        if (endpoint != null) endpoint.shutdown(Duration.ofSeconds(2));
        assertFalse(Files.exists(socket), "socket file left behind");
    }

    private static Status.Code codeOf(Throwable t) {
        Throwable c = t instanceof ExecutionException ? t.getCause() : t;
        return assertInstanceOf(StatusRuntimeException.class, c).getStatus().getCode();
    }

    @Test
    void echo() {
        StringValue r = client.blockingCall(TestService.ECHO, StringValue.of("hi"), null, BOUND);
        assertEquals("echo:hi", r.getValue());
        assertEquals(0600, mode(socket));
        assertEquals(0700, mode(socket.getParent()));
    }

    private static int mode(Path p) {
        try {
            return (Integer) Files.getAttribute(p, "unix:mode") & 0777;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void methodsNamedNonBlockingRunOnTheIoThreadWhileAHandlerThreadBlocks() throws Exception {
        assertEquals("virtual", client.blockingCall(TestService.THREAD, StringValue.of(""), null, BOUND).getValue(),
                "by default a handler runs on a virtual thread");
        Path other = tmp.resolve("io/ttrpc.sock");
        TestService svc = new TestService();
        EventLoopGroup io = new MultiThreadIoEventLoopGroup(1, Thread.ofPlatform().name("test-io").factory(), EpollIoHandler.newFactory());
        TtrpcServer server = TtrpcServer.builder()
                .addService(svc.definition())
                .ioLoop(io)
                .onIoThread(m -> m.getBareMethodName().equals("Thread"))
                .intercept(StatusMapper.interceptor())
                .build();
        try (TtrpcEndpoint ep = TtrpcEndpoint.listen(server, new PipeAddress.UnixSocket(other), UnixSockets.Access.OWNER_ONLY);
             TtrpcClient c = TtrpcClient.forSocket(other)) {
            CompletableFuture<StringValue> blocked = c.call(TestService.BLOCK, StringValue.of("x"), (Metadata) null, null);
            assertTrue(svc.blockEntered.await(BOUND.toSeconds(), TimeUnit.SECONDS));
            assertEquals("test-io", c.blockingCall(TestService.THREAD, StringValue.of(""), null, BOUND).getValue(),
                    "the connection's I/O thread");
            assertEquals("echo:on", c.blockingCall(TestService.ECHO, StringValue.of("on"), null, BOUND).getValue(),
                    "the others still run beside the blocked one");
            assertFalse(blocked.isDone(), "the blocking call is still running");
        } finally {
            io.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void fiftyConcurrentCallsAreAnsweredOutOfOrder() throws Exception {
        ConcurrentLinkedQueue<Long> completion = new ConcurrentLinkedQueue<>();
        List<CompletableFuture<Int64Value>> futures = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            long sleep = (50 - i) * 8L; // first sent sleeps longest
            futures.add(client.call(TestService.SLEEP, Int64Value.of(sleep), (Metadata) null, BOUND)
                    .whenComplete((r, e) -> completion.add(r == null ? -1 : r.getValue())));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(BOUND.toSeconds(), TimeUnit.SECONDS);
        for (int i = 0; i < 50; i++) assertEquals((50 - i) * 8L, futures.get(i).get().getValue());
        List<Long> order = List.copyOf(completion);
        assertEquals(50, order.size());
        // bounds leave room for scheduling jitter on a loaded machine; in-order answering would give 400 first
        assertTrue(order.get(0) <= 40L, "a short sleep (sent last) must finish first: " + order);
        assertTrue(order.get(49) >= 360L, "a long sleep (sent first) must finish last: " + order);
    }

    @Test
    void deadlineCancelsTheCallAndAnswersDeadlineExceeded() throws Exception {
        long t0 = System.nanoTime();
        CompletableFuture<StringValue> f = client.call(TestService.BLOCK, StringValue.of("x"), (Metadata) null, Duration.ofMillis(300));
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(BOUND.toSeconds(), TimeUnit.SECONDS));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, codeOf(e));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(290));
        assertTrue(service.blockCancelled.await(BOUND.toSeconds(), TimeUnit.SECONDS), "server context not cancelled");
        assertInstanceOf(TimeoutException.class, service.blockCancelCause);
        waitUntil(() -> endpoint.server().inFlightCalls() == 0);
    }

    @Test
    void serverDeadlineAnswersEvenWhenTheClientWaitsLonger() throws Exception {
        // timeout_nano reaches the server: a raw request with a 200ms timeout gets DeadlineExceeded from it.
        try (RawConn raw = new RawConn(socket)) {
            raw.write(RawConn.frame(1, Frame.TYPE_REQUEST, dev.hcsshim.proto.ttrpc.Request.newBuilder()
                    .setService(TestService.NAME).setMethod("Block").setTimeoutNano(200_000_000L)
                    .setPayload(StringValue.of("x").toByteString()).build().toByteArray()));
            RawConn.RawFrame r = raw.read(BOUND);
            assertNotNull(r);
            assertEquals(1, r.streamId());
            assertEquals(Status.Code.DEADLINE_EXCEEDED.value(), r.response().getStatus().getCode());
        }
    }

    @Test
    void unknownServiceAndMethodAreUnimplemented() {
        var noMethod = TestService.unary(TestService.NAME, "Nope", StringValue.getDefaultInstance(), StringValue.getDefaultInstance());
        var noService = TestService.unary("other.Svc", "Echo", StringValue.getDefaultInstance(), StringValue.getDefaultInstance());
        StatusRuntimeException a = assertThrows(StatusRuntimeException.class,
                () -> client.blockingCall(noMethod, StringValue.of(""), null, BOUND));
        assertEquals(Status.Code.UNIMPLEMENTED, a.getStatus().getCode());
        assertTrue(a.getStatus().getDescription().contains("Nope"));
        StatusRuntimeException b = assertThrows(StatusRuntimeException.class,
                () -> client.blockingCall(noService, StringValue.of(""), null, BOUND));
        assertEquals(Status.Code.UNIMPLEMENTED, b.getStatus().getCode());
        assertTrue(b.getStatus().getDescription().contains("other.Svc"));
    }

    @ParameterizedTest
    @CsvSource({
            "Classified, NOT_FOUND",
            "IllegalArgumentException, INVALID_ARGUMENT",
            "NoSuchElementException, INTERNAL",
            "NoSuchFileException, UNKNOWN",
            "FileAlreadyExistsException, UNKNOWN",
            "IllegalStateException, INTERNAL",
            "UnsupportedOperationException, INTERNAL",
            "TimeoutException, UNKNOWN",
            "IOExceptionWrappingACause, UNKNOWN",
            "NullPointerException, INTERNAL",
            "StatusRuntimeException, PERMISSION_DENIED",
            "RuntimeException, INTERNAL",
    })
    void exceptionsMapToStatusCodesOnlyByWhatTheyDeclare(String exception, Status.Code expected) {
        for (var method : List.of(TestService.THROW, TestService.ON_ERROR)) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> client.blockingCall(method, StringValue.of(exception), null, BOUND));
            assertEquals(expected, e.getStatus().getCode(), method.getBareMethodName() + " " + exception);
            String description = e.getStatus().getDescription();
            assertNotNull(description);
            assertFalse(description.matches("(?s).*\\w+(Exception|Error)\\b.*"), "a class name in: " + description);
        }
    }

    @Test
    void ourOwnFileFailuresReadAsWordsNotAsNotFound() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> client.blockingCall(TestService.THROW, StringValue.of("NoSuchFileException"), null, BOUND));
        assertEquals(Status.Code.UNKNOWN, e.getStatus().getCode());
        assertEquals("/nope: no such file or directory", e.getStatus().getDescription());
        StatusRuntimeException wrapped = assertThrows(StatusRuntimeException.class,
                () -> client.blockingCall(TestService.ON_ERROR, StringValue.of("IOExceptionWrappingACause"), null, BOUND));
        assertEquals("/tmp/runc-log.json: permission denied", wrapped.getStatus().getDescription());
        StatusRuntimeException bug = assertThrows(StatusRuntimeException.class,
                () -> client.blockingCall(TestService.THROW, StringValue.of("NullPointerException"), null, BOUND));
        assertEquals("internal error: no details (see the shim's log)", bug.getStatus().getDescription());
    }

    @Test
    void metadataReachesInterceptorsAndService() {
        StringValue r = client.blockingCall(TestService.WHO, StringValue.of(""),
                metadata(Map.of("containerd-namespace-ttrpc", "k8s.io", "x-test", "hello")), BOUND);
        assertEquals("k8s.io|hello", r.getValue());
        StringValue g = client.call(TestService.WHO, StringValue.of(""), Map.of("containerd-namespace", "grpcns"), BOUND).join();
        assertEquals("grpcns|null", g.getValue());
        assertEquals("-|null", client.blockingCall(TestService.WHO, StringValue.of(""), null, BOUND).getValue());
    }

    @Test
    void interceptorCanRefuseACall() throws Exception {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.blockingCall(TestService.ECHO,
                StringValue.of("x"), metadata(Map.of("x-test", "deny")), BOUND));
        assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
        assertEquals("denied by interceptor", e.getStatus().getDescription());
        waitUntil(() -> endpoint.server().inFlightCalls() == 0);
    }

    private static Metadata metadata(Map<String, String> m) {
        Metadata md = new Metadata();
        m.forEach((k, v) -> md.put(Metadata.Key.of(k, Metadata.ASCII_STRING_MARSHALLER), v));
        return md;
    }

    @Test
    void dataFrameIsAnsweredUnimplemented() throws Exception {
        try (RawConn raw = new RawConn(socket)) {
            raw.write(RawConn.frame(3, Frame.TYPE_DATA, new byte[] {1, 2, 3}));
            RawConn.RawFrame r = raw.read(BOUND);
            assertEquals(3, r.streamId());
            assertEquals(Frame.TYPE_RESPONSE, r.type());
            assertEquals(Status.Code.UNIMPLEMENTED.value(), r.response().getStatus().getCode());
            raw.write(RawConn.request(5, TestService.NAME, "Echo", StringValue.of("after")));
            RawConn.RawFrame ok = raw.read(BOUND);
            assertEquals(5, ok.streamId());
            assertEquals("echo:after", StringValue.parseFrom(ok.response().getPayload()).getValue());
        }
    }

    @Test
    void oversizedRequestIsAnsweredResourceExhaustedAndTheConnectionKeepsServing() throws Exception {
        long huge = Frame.MAX_PAYLOAD + (1 << 20);
        try (RawConn raw = new RawConn(socket)) {
            raw.write(RawConn.header(huge, 7, Frame.TYPE_REQUEST, 0));
            byte[] chunk = new byte[256 * 1024];
            for (long sent = 0; sent < huge; sent += chunk.length) {
                raw.write(java.util.Arrays.copyOf(chunk, (int) Math.min(chunk.length, huge - sent)));
            }
            raw.write(RawConn.request(9, TestService.NAME, "Echo", StringValue.of("next")));
            RawConn.RawFrame r = raw.read(BOUND);
            assertEquals(7, r.streamId());
            assertEquals(Status.Code.RESOURCE_EXHAUSTED.value(), r.response().getStatus().getCode());
            RawConn.RawFrame ok = raw.read(BOUND);
            assertEquals(9, ok.streamId());
            assertEquals("echo:next", StringValue.parseFrom(ok.response().getPayload()).getValue());
        }
    }

    @Test
    void clientRefusesOversizedRequestLocally() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.blockingCall(
                TestService.ECHO, StringValue.of("x".repeat(Frame.MAX_PAYLOAD + 1)), null, BOUND));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    }

    @Test
    void garbageIsAnsweredWhereItCanBeAndOtherwiseClosesOnlyThatConnection() throws Exception {
        try (RawConn raw = new RawConn(socket)) {
            raw.write(RawConn.frame(5, 0x7f, new byte[] {9, 9}));
            RawConn.RawFrame r = raw.read(BOUND);
            assertEquals(5, r.streamId());
            assertEquals(Status.Code.INVALID_ARGUMENT.value(), r.response().getStatus().getCode());
            raw.write(RawConn.request(4, TestService.NAME, "Echo", StringValue.of("even"))); // even ids are server-side
            assertEquals(Status.Code.INVALID_ARGUMENT.value(), raw.read(BOUND).response().getStatus().getCode());
            raw.write(RawConn.frame(11, Frame.TYPE_REQUEST, new byte[] {(byte) 0xff, (byte) 0xff})); // not a Request
            assertEquals(Status.Code.INVALID_ARGUMENT.value(), raw.read(BOUND).response().getStatus().getCode());
        }
        try (RawConn raw = new RawConn(socket)) {
            raw.write("GET / HTTP/1.1\r\nHost: shim\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            assertNull(raw.read(BOUND), "framing lost: the connection must be closed");
        }
        assertEquals("echo:still", client.blockingCall(TestService.ECHO, StringValue.of("still"), null, BOUND).getValue());
    }

    @Test
    void truncatedPayloadThenCloseLeavesTheServerServing() throws Exception {
        try (RawConn raw = new RawConn(socket)) {
            raw.write(RawConn.header(100, 1, Frame.TYPE_REQUEST, 0));
            raw.write(new byte[10]);
        }
        try (RawConn raw = new RawConn(socket)) {
            raw.write(RawConn.header(10, 1, Frame.TYPE_REQUEST, 0)); // truncated header-only write, then close
        }
        assertEquals("echo:ok", client.blockingCall(TestService.ECHO, StringValue.of("ok"), null, BOUND).getValue());
    }

    @Test
    void thousandSequentialCallsDoNotGrowThreadsOrFds() throws Exception {
        for (int i = 0; i < 50; i++) client.blockingCall(TestService.ECHO, StringValue.of("warm" + i), null, BOUND);
        int threads0 = threadCount();
        int fds0 = fdCount();
        long t0 = System.nanoTime();
        for (int i = 0; i < 1000; i++) {
            assertEquals("echo:" + i, client.blockingCall(TestService.ECHO, StringValue.of(Integer.toString(i)), null, BOUND).getValue());
        }
        long micros = (System.nanoTime() - t0) / 1000;
        int threads1 = threadCount();
        int fds1 = fdCount();
        System.out.printf("1000 calls in %d ms (%d us/call): threads %d -> %d, fds %d -> %d%n",
                micros / 1000, micros / 1000, threads0, threads1, fds0, fds1);
        assertTrue(threads1 - threads0 <= 4, "threads grew " + threads0 + " -> " + threads1);
        assertTrue(fds1 - fds0 <= 4, "fds grew " + fds0 + " -> " + fds1);
        assertEquals(0, client.pendingCalls());
        waitUntil(() -> endpoint.server().inFlightCalls() == 0);
    }

    static int threadCount() throws java.io.IOException {
        try (var s = Files.list(Path.of("/proc/self/task"))) { return (int) s.count(); }
    }

    static int fdCount() throws java.io.IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) { return (int) s.count(); }
    }

    @Test
    void pendingCallsFailWhenTheServerDiesAndTheClientReconnects() throws Exception {
        CompletableFuture<StringValue> pending = client.call(TestService.BLOCK, StringValue.of("x"), (Metadata) null, null);
        assertTrue(service.blockEntered.await(BOUND.toSeconds(), TimeUnit.SECONDS));
        assertEquals(1, client.pendingCalls());
        endpoint.shutdown(Duration.ZERO);
        ExecutionException e = assertThrows(ExecutionException.class, () -> pending.get(BOUND.toSeconds(), TimeUnit.SECONDS));
        assertEquals(Status.Code.UNAVAILABLE, codeOf(e));
        StatusRuntimeException down = assertThrows(StatusRuntimeException.class,
                () -> client.blockingCall(TestService.ECHO, StringValue.of("x"), null, BOUND));
        assertEquals(Status.Code.UNAVAILABLE, down.getStatus().getCode());
        endpoint = startServer(new TestService());
        assertEquals("echo:back", client.blockingCall(TestService.ECHO, StringValue.of("back"), null, BOUND).getValue());
    }

    @Test
    void pendingCallsFailUnavailableWhenThePeerVanishesWithoutAnswering() throws Exception {
        Path bare = tmp.resolve("bare.sock");
        try (var server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX);
             TtrpcClient c = TtrpcClient.forSocket(bare)) {
            server.bind(java.net.UnixDomainSocketAddress.of(bare));
            List<CompletableFuture<StringValue>> calls = new ArrayList<>();
            for (int i = 0; i < 3; i++) calls.add(c.call(TestService.ECHO, StringValue.of("x"), (Metadata) null, null));
            try (var _ = server.accept()) {
                waitUntil(() -> c.pendingCalls() == 3);
            } // closed without a single response: the server "died"
            for (var f : calls) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(BOUND.toSeconds(), TimeUnit.SECONDS));
                assertEquals(Status.Code.UNAVAILABLE, codeOf(e));
            }
            assertEquals(0, c.pendingCalls());
        }
    }

    @Test
    void gracefulShutdownLetsInFlightCallsFinish() throws Exception {
        CompletableFuture<Int64Value> slow = client.call(TestService.SLEEP, Int64Value.of(300), (Metadata) null, BOUND);
        waitUntil(() -> endpoint.server().inFlightCalls() == 1);
        assertTrue(endpoint.shutdown(Duration.ofSeconds(5)), "in-flight call was cut short");
        assertEquals(300, slow.get(BOUND.toSeconds(), TimeUnit.SECONDS).getValue());
    }

    @Test
    void bindingOverALiveSocketFailsAndAStaleOneIsReplaced() throws Exception {
        TtrpcServer second = TtrpcServer.builder().addService(new TestService().definition()).build();
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> TtrpcEndpoint.listen(second,
                new PipeAddress.UnixSocket(socket), UnixSockets.Access.OWNER_ONLY));
        assertTrue(e.getMessage().contains("already in use"), e.getMessage());
        second.shutdown(Duration.ZERO);
        // a stale socket: bound by a listener that went away without removing its file
        Path stale = tmp.resolve("s/stale.sock");
        try (var ch = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.bind(java.net.UnixDomainSocketAddress.of(stale));
        }
        assertTrue(Files.exists(stale));
        try (TtrpcEndpoint _ = TtrpcEndpoint.listen(TtrpcServer.builder().addService(new TestService().definition()).build(),
                new PipeAddress.UnixSocket(stale), UnixSockets.Access.OWNER_ONLY);
             TtrpcClient c = TtrpcClient.forSocket(stale)) {
            assertEquals("echo:fresh", c.blockingCall(TestService.ECHO, StringValue.of("fresh"), null, BOUND).getValue());
        }
    }

    static void waitUntil(java.util.function.BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + BOUND.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) fail("condition not met within " + BOUND);
            Thread.sleep(10);
        }
    }

    @Test
    void theNioTransportServesTheSameCalls() throws Exception {
        // What a platform without epoll (Windows, behind the named-pipe bridge) runs.
        Path nioSocket = tmp.resolve("nio/ttrpc.sock");
        TtrpcServer server = TtrpcServer.builder()
                .transport(TtrpcServer.Transport.NIO)
                .addService(new TestService().definition())
                .build();
        TtrpcEndpoint nio = TtrpcEndpoint.listen(server, new PipeAddress.UnixSocket(nioSocket), UnixSockets.Access.OWNER_ONLY,
                new PeerCredentialGuard(UnixSockets.currentUid()));
        try (TtrpcClient nioClient = TtrpcClient.forSocket(nioSocket)) {
            assertEquals("echo:over nio", nioClient.blockingCall(TestService.ECHO, StringValue.of("over nio"), null, BOUND).getValue());
            var missing = TestService.unary(TestService.NAME, "Nope", StringValue.getDefaultInstance(), StringValue.getDefaultInstance());
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> nioClient.call(missing, StringValue.of("x"), (Metadata) null, BOUND).get());
            assertEquals(Status.Code.UNIMPLEMENTED, codeOf(e));
        } finally {
            nio.shutdown(Duration.ofSeconds(2));
        }
        assertFalse(Files.exists(nioSocket), "socket file left behind");
    }
}
