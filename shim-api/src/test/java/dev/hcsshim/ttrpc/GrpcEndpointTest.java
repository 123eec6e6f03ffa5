package dev.hcsshim.ttrpc;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.StringValue;
import dev.hcsshim.transport.GrpcEndpoint;
import dev.hcsshim.transport.PipeAddress;
import dev.hcsshim.transport.TtrpcEndpoint;
import dev.hcsshim.transport.UnixSockets;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same service definition answers over gRPC and ttrpc, under its own name and a v3-style alias. */
class GrpcEndpointTest {
    private static final String ALIAS = "test.v3.Echo";
    @TempDir
    Path tmp;
    private GrpcEndpoint grpc;
    private TtrpcEndpoint ttrpc;
    private EventLoopGroup group;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        var def = new TestService().definition();
        grpc = GrpcEndpoint.builder(new PipeAddress.UnixSocket(tmp.resolve("g.sock")))
                .addService(def).addService(ServiceAlias.rename(def, ALIAS))
                .intercept(TestService.HEADER_INTERCEPTOR).intercept(Namespaces.interceptor()).intercept(StatusMapper.interceptor())
                .start();
        ttrpc = TtrpcEndpoint.listen(TtrpcServer.builder().addService(def).addService(ServiceAlias.rename(def, ALIAS)).build(),
                new PipeAddress.UnixSocket(tmp.resolve("t.sock")), UnixSockets.Access.OWNER_ONLY);
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(tmp.resolve("g.sock").toString()))
                .channelType(EpollDomainSocketChannel.class).eventLoopGroup(group).usePlaintext().build();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        grpc.close();
        ttrpc.close();
    }

    private static MethodDescriptor<StringValue, StringValue> renamed(MethodDescriptor<StringValue, StringValue> m) {
        return m.toBuilder().setFullMethodName(MethodDescriptor.generateFullMethodName(ALIAS, m.getBareMethodName())).build();
    }

    private StringValue grpcCall(MethodDescriptor<StringValue, StringValue> m, String v, Metadata md) {
        var ch = md == null ? channel : io.grpc.ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(md));
        return ClientCalls.blockingUnaryCall(ch, m, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), StringValue.of(v));
    }

    @Test
    void aServerAClientAndAGrpcEndpointShareTheCallersIoLoop() throws Exception {
        List<Thread> ioThreadsBefore = ioThreads();
        EventLoopGroup shared = new MultiThreadIoEventLoopGroup(1, Thread.ofPlatform().name("shared-io").factory(),
                EpollIoHandler.newFactory());
        try {
            var def = new TestService().definition();
            GrpcEndpoint g = GrpcEndpoint.builder(new PipeAddress.UnixSocket(tmp.resolve("g2.sock"))).addService(def)
                    .ioLoop(shared).start();
            TtrpcEndpoint t = TtrpcEndpoint.listen(TtrpcServer.builder().addService(def).ioLoop(shared).build(),
                    new PipeAddress.UnixSocket(tmp.resolve("t2.sock")), UnixSockets.Access.OWNER_ONLY);
            TtrpcClient c = TtrpcClient.forSocket(tmp.resolve("t2.sock"), shared);
            ManagedChannel ch = NettyChannelBuilder.forAddress(new DomainSocketAddress(tmp.resolve("g2.sock").toString()))
                    .channelType(EpollDomainSocketChannel.class).eventLoopGroup(group).usePlaintext().build();
            try {
                assertEquals("echo:t", c.blockingCall(TestService.ECHO, StringValue.of("t"), null, Duration.ofSeconds(10)).getValue());
                assertEquals("echo:g", ClientCalls.blockingUnaryCall(ch, TestService.ECHO,
                        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), StringValue.of("g")).getValue());
                // all three did their I/O on the one thread they were given: no loop thread of their own
                assertEquals(List.of(), ioThreads().stream().filter(th -> !ioThreadsBefore.contains(th)).toList());
                assertTrue(Thread.getAllStackTraces().keySet().stream().anyMatch(th -> th.getName().equals("shared-io")));
            } finally {
                ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                c.close();
                t.close();
                g.close();
            }
            assertFalse(shared.isShuttingDown(), "the caller's loop is the caller's to shut down");
            try (TtrpcClient again = TtrpcClient.forSocket(tmp.resolve("t.sock"), shared)) {
                assertEquals("echo:still", again.blockingCall(TestService.ECHO, StringValue.of("still"), null,
                        Duration.ofSeconds(10)).getValue(), "the loop still serves its other users");
            }
        } finally {
            shared.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
    }

    /** The event loop threads servers, clients and endpoints start when given no loop. */
    private static List<Thread> ioThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("ttrpc-io-")
                || t.getName().startsWith("ttrpc-client-io-") || t.getName().startsWith("grpc-io-")).toList();
    }

    @Test
    void servesTheServiceAndItsAlias() {
        assertEquals("echo:a", grpcCall(TestService.ECHO, "a", null).getValue());
        assertEquals("echo:b", grpcCall(renamed(TestService.ECHO), "b", null).getValue());
        try (TtrpcClient c = TtrpcClient.forSocket(tmp.resolve("t.sock"))) {
            assertEquals("echo:c", c.blockingCall(renamed(TestService.ECHO), StringValue.of("c"), null, Duration.ofSeconds(10)).getValue());
        }
    }

    @Test
    void aliasKeepsEveryMethodAndNoSchema() {
        var original = new TestService().definition();
        var alias = ServiceAlias.rename(original, ALIAS);
        assertEquals(ALIAS, alias.getServiceDescriptor().getName());
        assertEquals(7, original.getMethods().size());
        assertEquals(original.getMethods().size(), alias.getMethods().size());
        alias.getMethods().forEach(m -> assertEquals(ALIAS, m.getMethodDescriptor().getServiceName()));
    }

    @Test
    void errorsMapAsOverTtrpc() {
        for (String method : new String[] {"Throw", "OnError"}) {
            var m = TestService.unary(method, StringValue.getDefaultInstance(), StringValue.getDefaultInstance());
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> grpcCall(m, "Classified", null));
            assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), method);
            assertEquals("container does not exist", e.getStatus().getDescription(), method);
            StatusRuntimeException io = assertThrows(StatusRuntimeException.class, () -> grpcCall(renamed(m), "NoSuchFileException", null));
            assertEquals(Status.Code.UNKNOWN, io.getStatus().getCode(), method);
            assertEquals("/nope: no such file or directory", io.getStatus().getDescription(), method);
        }
    }

    @Test
    void namespaceFromGrpcMetadata() {
        Metadata md = new Metadata();
        md.put(Namespaces.GRPC_KEY, "default");
        md.put(TestService.X_TEST, "h");
        assertEquals("default|h", grpcCall(TestService.WHO, "", md).getValue());
    }
}
