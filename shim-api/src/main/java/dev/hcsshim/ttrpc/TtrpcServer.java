package dev.hcsshim.ttrpc;

import com.google.common.util.concurrent.MoreExecutors;
import dev.hcsshim.proto.ttrpc.KeyValue;
import dev.hcsshim.proto.ttrpc.Request;
import dev.hcsshim.proto.ttrpc.Response;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.net.UnixDomainSocketAddress;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A ttrpc server on a unix socket that serves gRPC-Java service definitions: requests are
 * dispatched by {@code <service>/<method>} to the method's {@link io.grpc.ServerCallHandler}
 * through a ttrpc {@link io.grpc.ServerCall}, so generated stubs and interceptors run unchanged.
 * Only unary methods exist in ttrpc 1.1; handlers run on an executor (virtual threads by default),
 * or, for methods the builder names as answering without blocking, on the connection's I/O thread
 * itself: no hand-over to another thread and back for a request that only reads memory.
 */
public final class TtrpcServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TtrpcServer.class);

    private final Map<String, ServerMethodDefinition<?, ?>> methods;
    private final Executor executor;
    private final Predicate<MethodDescriptor<?, ?>> onIoThread;
    private final ExecutorService ownedExecutor;
    private final Transport transport;
    private final PartialFrameBudget partialFrameBudget;
    private final Duration partialFrameStallTimeout;
    /** An epoll group the caller owns and shares (see {@link Builder#ioLoop}); null: the server makes its own. */
    private final EventLoopGroup sharedIoLoop;
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Set<TtrpcServerCall<?, ?>> inFlight = ConcurrentHashMap.newKeySet();
    private final Object inFlightLock = new Object();
    private volatile boolean shuttingDown;
    private EventLoopGroup group;
    private Channel serverChannel;

    private TtrpcServer(Builder b) {
        Map<String, ServerMethodDefinition<?, ?>> m = new HashMap<>();
        for (ServerServiceDefinition def : b.services) {
            ServerServiceDefinition intercepted = ServerInterceptors.intercept(def, b.interceptors);
            for (ServerMethodDefinition<?, ?> md : intercepted.getMethods()) {
                String name = md.getMethodDescriptor().getFullMethodName();
                if (m.putIfAbsent(name, md) != null) throw new IllegalArgumentException("method registered twice: " + name);
            }
        }
        this.methods = Map.copyOf(m);
        this.transport = b.transport;
        this.partialFrameBudget = b.partialFrameBudget != null ? b.partialFrameBudget : PartialFrameBudget.forThisJvm();
        this.partialFrameStallTimeout = b.partialFrameStallTimeout;
        this.sharedIoLoop = b.ioLoop;
        this.onIoThread = b.onIoThread;
        if (b.executor != null) {
            this.executor = b.executor;
            this.ownedExecutor = null;
        } else {
            this.ownedExecutor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("ttrpc-call-", 0).factory());
            this.executor = ownedExecutor;
        }
    }

    public static Builder builder() { return new Builder(); }

    /** How the listening unix socket is implemented. */
    public enum Transport { AUTO, EPOLL, NIO }

    public static final class Builder {
        private final List<ServerServiceDefinition> services = new ArrayList<>();
        private final List<ServerInterceptor> interceptors = new ArrayList<>();
        private Executor executor;
        private Transport transport = Transport.AUTO;
        private PartialFrameBudget partialFrameBudget;
        private Duration partialFrameStallTimeout = Duration.ofSeconds(30);
        private EventLoopGroup ioLoop;
        private Predicate<MethodDescriptor<?, ?>> onIoThread = m -> false;

        public Builder addService(BindableService service) { return addService(service.bindService()); }

        public Builder addService(ServerServiceDefinition service) { services.add(service); return this; }

        /** Adds an interceptor to every service; like {@link ServerInterceptors#intercept}, the last added runs first. */
        public Builder intercept(ServerInterceptor interceptor) { interceptors.add(interceptor); return this; }

        /** Executor for handlers; the server does not shut a given executor down. */
        public Builder executor(Executor executor) { this.executor = executor; return this; }

        /**
         * Methods whose handlers never block (they read and update memory, or answer later from
         * another thread): these run on the connection's I/O thread, which a blocking handler
         * would stall for every connection. A hand-over to the executor and back costs two
         * thread wake-ups, ~0.1 ms per request on a small VM.
         */
        public Builder onIoThread(Predicate<MethodDescriptor<?, ?>> methods) { this.onIoThread = methods; return this; }

        /** Which socket implementation serves; AUTO (the default) is epoll where it exists. */
        public Builder transport(Transport transport) { this.transport = transport; return this; }

        /** Caps the bytes of incomplete frames held across connections (default: {@link PartialFrameBudget#forThisJvm()}). */
        public Builder partialFrameBudget(PartialFrameBudget budget) { this.partialFrameBudget = budget; return this; }

        /** How long an incomplete frame may make no progress before its connection is closed (default 30 s). */
        public Builder partialFrameStallTimeout(Duration timeout) { this.partialFrameStallTimeout = timeout; return this; }

        /**
         * Serves on this epoll group instead of one of its own (one I/O thread for a process's
         * servers and clients); the server never shuts it down. Epoll transport only.
         */
        public Builder ioLoop(EventLoopGroup group) { this.ioLoop = group; return this; }
        public TtrpcServer build() { return new TtrpcServer(this); }
    }

    /** Full method names served, e.g. {@code containerd.task.v2.Task/Create}. */
    public Set<String> methodNames() { return methods.keySet(); }

    /**
     * Binds and serves. {@code acceptHandler} (may be null) sits on the listening channel and sees
     * every accepted child channel before it is registered: the peer-credential check goes there.
     */
    public synchronized TtrpcServer start(SocketAddress address, ChannelHandler acceptHandler) throws InterruptedException {
        if (serverChannel != null) throw new IllegalStateException("already started");
        // Linux: native epoll (it can read SO_PEERCRED). Elsewhere (Windows, where named pipes
        // are bridged onto a private unix socket) or when asked: the JDK's unix sockets via NIO.
        boolean epoll = sharedIoLoop != null || transport == Transport.EPOLL || transport == Transport.AUTO && Epoll.isAvailable();
        if (!epoll && address instanceof DomainSocketAddress d) {
            address = UnixDomainSocketAddress.of(d.path());
        }
        SocketAddress at = address;
        serve(epoll, () -> epoll ? new EpollServerDomainSocketChannel() : new NioServerDomainSocketChannel(),
                acceptHandler, b -> b.bind(at));
        LOG.debug("ttrpc serving {} methods on {}", methods.size(), address);
        return this;
    }

    /**
     * Serves on {@code listeningFd}, a unix socket some other process bound and listens on (the
     * shim's {@code start} hands its daemon one): connections already queued on it are served
     * too. Epoll only; the descriptor is the server's from here on and closed with it.
     */
    public synchronized TtrpcServer adopt(int listeningFd, ChannelHandler acceptHandler) throws InterruptedException {
        if (serverChannel != null) throw new IllegalStateException("already started");
        serve(true, () -> new EpollServerDomainSocketChannel(listeningFd, true), acceptHandler, ServerBootstrap::register);
        LOG.debug("ttrpc serving {} methods on inherited descriptor {}", methods.size(), listeningFd);
        return this;
    }

    private void serve(boolean epoll, Supplier<ServerChannel> listener, ChannelHandler acceptHandler,
                       Function<ServerBootstrap, ChannelFuture> open) throws InterruptedException {
        group = sharedIoLoop != null ? sharedIoLoop : new MultiThreadIoEventLoopGroup(1,
                Thread.ofPlatform().name("ttrpc-io-", 0).daemon().factory(),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channelFactory(() -> {
                    ServerChannel ch = listener.get();
                    if (acceptHandler != null) ch.pipeline().addLast("accept-guard", acceptHandler);
                    return ch;
                })
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        ch.pipeline().addLast("decoder", new FrameDecoder(Frame.MAX_PAYLOAD, partialFrameBudget, partialFrameStallTimeout))
                                .addLast("encoder", FrameEncoder.INSTANCE)
                                .addLast("dispatch", new Connection());
                    }
                });
        try {
            serverChannel = open.apply(b).sync().channel();
        } catch (Exception e) {
            if (group != sharedIoLoop) group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly();
            group = null;
            throw e;
        }
    }

    public synchronized SocketAddress localAddress() {
        return serverChannel == null ? null : serverChannel.localAddress();
    }

    /** Calls currently being handled. */
    /** What incomplete frames hold now, across connections, and the cap. */
    public PartialFrameBudget partialFrameBudget() { return partialFrameBudget; }

    public int inFlightCalls() { return inFlight.size(); }

    /**
     * Graceful stop: no new connections or calls, in-flight calls get up to {@code grace} to
     * finish (then they are cancelled), connections are closed. Returns true if none was cut short.
     */
    public boolean shutdown(Duration grace) {
        shuttingDown = true;
        Channel sc;
        EventLoopGroup g;
        synchronized (this) {
            sc = serverChannel;
            g = group;
        }
        if (sc != null) sc.close().awaitUninterruptibly();
        long deadline = System.nanoTime() + grace.toNanos();
        boolean clean;
        synchronized (inFlightLock) {
            long left;
            while (!inFlight.isEmpty() && (left = deadline - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(inFlightLock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            clean = inFlight.isEmpty();
        }
        for (TtrpcServerCall<?, ?> call : List.copyOf(inFlight)) {
            call.cancel(Status.UNAVAILABLE.withDescription("server shutting down"));
        }
        connections.close().awaitUninterruptibly();
        if (g != null && g != sharedIoLoop) g.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        if (ownedExecutor != null) ownedExecutor.shutdownNow();
        return clean;
    }

    @Override
    public void close() { shutdown(Duration.ofSeconds(5)); }

    void callFinished(TtrpcServerCall<?, ?> call) {
        if (inFlight.remove(call)) {
            synchronized (inFlightLock) { inFlightLock.notifyAll(); }
        }
    }

    static void writeResponse(Channel ch, int streamId, Status status, byte[] payload) {
        Response.Builder r = Response.newBuilder().setStatus(com.google.rpc.Status.newBuilder()
                .setCode(status.getCode().value())
                .setMessage(status.getDescription() == null ? "" : status.getDescription()));
        if (payload != null) r.setPayload(com.google.protobuf.ByteString.copyFrom(payload));
        byte[] bytes = r.build().toByteArray();
        if (bytes.length > Frame.MAX_PAYLOAD) {
            bytes = Response.newBuilder().setStatus(com.google.rpc.Status.newBuilder()
                    .setCode(Status.Code.RESOURCE_EXHAUSTED.value())
                    .setMessage("response of " + bytes.length + " bytes exceeds the maximum message size of "
                            + Frame.MAX_PAYLOAD)).build().toByteArray();
        }
        ch.writeAndFlush(new Frame(streamId, Frame.TYPE_RESPONSE, (byte) 0, Unpooled.wrappedBuffer(bytes)));
    }

    static Metadata toMetadata(List<KeyValue> kvs) {
        Metadata md = new Metadata();
        for (KeyValue kv : kvs) {
            String key = kv.getKey().toLowerCase(Locale.ROOT);
            try {
                if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                    md.put(Metadata.Key.of(key, Metadata.BINARY_BYTE_MARSHALLER),
                            kv.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                } else {
                    md.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), kv.getValue());
                }
            } catch (IllegalArgumentException e) {
                LOG.debug("ignoring ttrpc metadata key {}: {}", key, e.getMessage());
            }
        }
        return md;
    }

    /** Per-connection dispatcher; runs on the connection's event loop. */
    private final class Connection extends ChannelInboundHandlerAdapter {
        private final Map<Integer, TtrpcServerCall<?, ?>> calls = new ConcurrentHashMap<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                switch (msg) {
                    case Frame f -> onFrame(ctx, f);
                    case FrameEvent.Oversized o -> writeResponse(ctx.channel(), o.streamId(),
                            Status.RESOURCE_EXHAUSTED.withDescription("message length " + o.length()
                                    + " exceeds maximum message size of " + Frame.MAX_PAYLOAD), null);
                    case FrameEvent.UnknownType u -> writeResponse(ctx.channel(), u.streamId(),
                            Status.INVALID_ARGUMENT.withDescription("unknown ttrpc message type " + u.type()), null);
                    default -> LOG.warn("unexpected inbound object {}", msg);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void onFrame(ChannelHandlerContext ctx, Frame f) {
            int id = f.streamId();
            switch (f.type()) {
                case Frame.TYPE_REQUEST -> onRequest(ctx, f);
                case Frame.TYPE_DATA -> writeResponse(ctx.channel(), id,
                        Status.UNIMPLEMENTED.withDescription("ttrpc streaming (data messages) is not supported"), null);
                default -> LOG.debug("ignoring ttrpc message type {} on stream {}", f.type(), id);
            }
        }

        private void onRequest(ChannelHandlerContext ctx, Frame f) {
            int id = f.streamId();
            if ((id & 1) == 0) {
                writeResponse(ctx.channel(), id,
                        Status.INVALID_ARGUMENT.withDescription("StreamID must be odd for client initiated streams"), null);
                return;
            }
            Request req;
            try {
                req = Request.parseFrom(Payloads.bytes(f.payload()));
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                writeResponse(ctx.channel(), id,
                        Status.INVALID_ARGUMENT.withDescription("unmarshal request error: " + e.getMessage()), null);
                return;
            }
            if (shuttingDown) {
                writeResponse(ctx.channel(), id, Status.UNAVAILABLE.withDescription("server is shutting down"), null);
                return;
            }
            if (calls.containsKey(id)) {
                writeResponse(ctx.channel(), id, Status.INVALID_ARGUMENT.withDescription("stream " + id + " already in use"), null);
                return;
            }
            String name = req.getService() + "/" + req.getMethod();
            ServerMethodDefinition<?, ?> def = methods.get(name);
            if (def == null) {
                boolean serviceKnown = methods.keySet().stream().anyMatch(k -> k.startsWith(req.getService() + "/"));
                writeResponse(ctx.channel(), id, Status.UNIMPLEMENTED.withDescription(
                        serviceKnown ? "method " + req.getMethod() : "service " + req.getService()), null);
                return;
            }
            if (def.getMethodDescriptor().getType() != MethodDescriptor.MethodType.UNARY) {
                writeResponse(ctx.channel(), id, Status.UNIMPLEMENTED.withDescription(
                        "method " + name + " is streaming; ttrpc serves unary methods only"), null);
                return;
            }
            start(ctx.channel(), id, req, def);
        }

        private <Q, R> void start(Channel ch, int id, Request req, ServerMethodDefinition<Q, R> def) {
            Context.CancellableContext context = req.getTimeoutNano() > 0
                    ? Context.ROOT.withDeadlineAfter(req.getTimeoutNano(), TimeUnit.NANOSECONDS, ch.eventLoop())
                    : Context.ROOT.withCancellation();
            Executor handlers = onIoThread.test(def.getMethodDescriptor()) ? MoreExecutors.directExecutor() : executor;
            TtrpcServerCall<Q, R> call = new TtrpcServerCall<>(TtrpcServer.this, ch, id, def.getMethodDescriptor(),
                    context, handlers, () -> calls.remove(id));
            calls.put(id, call);
            inFlight.add(call);
            call.begin(def.getServerCallHandler(), toMetadata(req.getMetadataList()), req.getPayload());
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            for (TtrpcServerCall<?, ?> call : List.copyOf(calls.values())) {
                call.cancel(Status.CANCELLED.withDescription("connection closed"));
            }
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof DecoderException) {
                LOG.warn("closing ttrpc connection {}: {}", ctx.channel(), cause.getMessage());
            } else {
                LOG.warn("closing ttrpc connection {} after error", ctx.channel(), cause);
            }
            ctx.close();
        }
    }
}
