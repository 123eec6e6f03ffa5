package dev.hcsshim.transport;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** A gRPC server on a protected unix socket (epoll), with the same SO_PEERCRED check as ttrpc. */
public final class GrpcEndpoint implements AutoCloseable {
    private final Server server;
    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final ExecutorService ownedExecutor;
    private final PipeAddress.UnixSocket address;
    private final PeerCredentialGuard guard;
    private final Object socketIdentity;

    private GrpcEndpoint(Server server, EventLoopGroup group, boolean ownsGroup, ExecutorService ownedExecutor,
                         PipeAddress.UnixSocket address, PeerCredentialGuard guard) {
        this.server = server;
        this.group = group;
        this.ownsGroup = ownsGroup;
        this.ownedExecutor = ownedExecutor;
        this.address = address;
        this.guard = guard;
        this.socketIdentity = UnixSockets.identity(address.path());
    }

    public static Builder builder(PipeAddress.UnixSocket address) { return new Builder(address); }

    public static final class Builder {
        private final PipeAddress.UnixSocket address;
        private final List<ServerServiceDefinition> services = new ArrayList<>();
        private final List<ServerInterceptor> interceptors = new ArrayList<>();
        private UnixSockets.Access access = UnixSockets.Access.OWNER_ONLY;
        private PeerCredentialGuard guard;
        private Executor executor;
        private EventLoopGroup ioLoop;

        private Builder(PipeAddress.UnixSocket address) { this.address = address; }

        public Builder addService(BindableService s) { return addService(s.bindService()); }
        public Builder addService(ServerServiceDefinition s) { services.add(s); return this; }
        /** Same order semantics as {@link ServerInterceptors#intercept}: the last added runs first. */
        public Builder intercept(ServerInterceptor i) { interceptors.add(i); return this; }
        public Builder access(UnixSockets.Access a) { this.access = a; return this; }
        public Builder guard(PeerCredentialGuard g) { this.guard = g; return this; }
        public Builder executor(Executor e) { this.executor = e; return this; }
        /** Serves on the caller's epoll group instead of one of its own; shutdown leaves it running. */
        public Builder ioLoop(EventLoopGroup group) { this.ioLoop = group; return this; }

        public GrpcEndpoint start() throws IOException {
            PeerCredentialGuard g = guard != null ? guard : PeerCredentialGuard.sameUser();
            UnixSockets.prepare(address.path(), access);
            boolean ownsGroup = ioLoop == null;
            EventLoopGroup group = !ownsGroup ? ioLoop : new MultiThreadIoEventLoopGroup(1,
                    Thread.ofPlatform().name("grpc-io-", 0).daemon().factory(), EpollIoHandler.newFactory());
            ExecutorService owned = executor == null
                    ? Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("grpc-call-", 0).factory()) : null;
            NettyServerBuilder nb = NettyServerBuilder.forAddress(new DomainSocketAddress(address.path().toString()))
                    .bossEventLoopGroup(group)
                    .workerEventLoopGroup(group)
                    .channelFactory(() -> {
                        // The guard sees accepted channels before gRPC's acceptor registers them.
                        EpollServerDomainSocketChannel ch = new EpollServerDomainSocketChannel();
                        ch.pipeline().addLast("peer-credentials", g);
                        return ch;
                    })
                    .executor(executor != null ? executor : owned)
                    .maxInboundMessageSize(dev.hcsshim.ttrpc.Frame.MAX_PAYLOAD);
            for (ServerServiceDefinition s : services) nb.addService(ServerInterceptors.intercept(s, interceptors));
            Server server = nb.build();
            try {
                server.start();
                UnixSockets.finish(address.path(), access);
            } catch (IOException | RuntimeException e) {
                server.shutdownNow();
                if (ownsGroup) group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly();
                if (owned != null) owned.shutdownNow();
                throw e;
            }
            return new GrpcEndpoint(server, group, ownsGroup, owned, address, g);
        }
    }

    public PipeAddress.UnixSocket address() { return address; }
    public PeerCredentialGuard guard() { return guard; }

    /** Stops accepting, lets calls finish within {@code grace}, then cuts the rest. */
    public boolean shutdown(Duration grace) {
        server.shutdown();
        boolean clean;
        try {
            clean = server.awaitTermination(grace.toNanos(), TimeUnit.NANOSECONDS);
            if (!clean) {
                server.shutdownNow();
                server.awaitTermination(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.shutdownNow();
            clean = false;
        }
        if (ownsGroup) group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        if (ownedExecutor != null) ownedExecutor.shutdownNow();
        UnixSockets.removeIfSame(address.path(), socketIdentity);
        return clean;
    }

    @Override
    public void close() { shutdown(Duration.ofSeconds(5)); }
}
