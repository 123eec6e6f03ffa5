package dev.hcsshim.ttrpc;

import dev.hcsshim.proto.ttrpc.KeyValue;
import dev.hcsshim.proto.ttrpc.Request;
import dev.hcsshim.proto.ttrpc.Response;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A multiplexed ttrpc client on a unix socket. Connects on the first call and again on the next
 * call after the connection dropped; thread-safe. Futures complete off the I/O thread with the
 * response or a {@link StatusRuntimeException}.
 */
public final class TtrpcClient implements AutoCloseable {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final DomainSocketAddress address;
    private final EventLoopGroup group;
    /** Whether {@link #group} is this client's own (shut down on close) or the caller's. */
    private final boolean ownsGroup;
    private final ExecutorService callbacks;
    private Connection connection; // guarded by this
    private boolean closed;

    private TtrpcClient(Path socket, EventLoopGroup ioLoop) {
        this.address = new DomainSocketAddress(socket.toString());
        this.ownsGroup = ioLoop == null;
        this.group = ioLoop != null ? ioLoop : new MultiThreadIoEventLoopGroup(1,
                Thread.ofPlatform().name("ttrpc-client-io-", 0).daemon().factory(), EpollIoHandler.newFactory());
        this.callbacks = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("ttrpc-client-cb-", 0).factory());
    }

    /** A client for the socket at {@code socket}; nothing is dialled until the first call. */
    public static TtrpcClient forSocket(Path socket) { return new TtrpcClient(socket, null); }

    /** The same, on the caller's epoll group (which it keeps owning: close leaves it running). */
    public static TtrpcClient forSocket(Path socket, EventLoopGroup ioLoop) { return new TtrpcClient(socket, ioLoop); }

    /** A client for {@code unix:///path} or a bare absolute path (the form of {@code TTRPC_ADDRESS}). */
    public static TtrpcClient forAddress(String address) {
        String s = address.trim();
        if (s.startsWith("unix://")) s = s.substring("unix://".length());
        if (!s.startsWith("/")) throw new IllegalArgumentException("not a unix socket address: " + address);
        return new TtrpcClient(Path.of(s), null);
    }

    public <Q, R> CompletableFuture<R> call(MethodDescriptor<Q, R> method, Q request, Map<String, String> metadata,
                                            Duration timeout) {
        Metadata md = new Metadata();
        if (metadata != null) {
            metadata.forEach((k, v) -> md.put(Metadata.Key.of(k, Metadata.ASCII_STRING_MARSHALLER), v));
        }
        return call(method, request, md, timeout);
    }

    /**
     * Sends one unary call. {@code timeout} (null or zero: none) travels as {@code timeout_nano} and is
     * also enforced here: the future fails with DEADLINE_EXCEEDED when it passes.
     */
    public <Q, R> CompletableFuture<R> call(MethodDescriptor<Q, R> method, Q request, Metadata metadata,
                                            Duration timeout) {
        if (method.getType() != MethodDescriptor.MethodType.UNARY) {
            return failed(Status.UNIMPLEMENTED.withDescription("ttrpc carries unary calls only"));
        }
        byte[] payload;
        try {
            payload = Payloads.toBytes(method.getRequestMarshaller(), request);
        } catch (IOException | RuntimeException e) {
            return failed(Status.INTERNAL.withDescription("cannot serialize request").withCause(e));
        }
        String svc = method.getServiceName();
        String name = method.getBareMethodName();
        Request.Builder req = Request.newBuilder().setService(svc == null ? "" : svc).setMethod(name == null ? "" : name)
                .setPayload(com.google.protobuf.ByteString.copyFrom(payload));
        if (timeout != null && !timeout.isZero() && !timeout.isNegative()) req.setTimeoutNano(timeout.toNanos());
        if (metadata != null) {
            for (String key : metadata.keys()) {
                if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                    for (byte[] v : metadata.getAll(Metadata.Key.of(key, Metadata.BINARY_BYTE_MARSHALLER))) {
                        req.addMetadata(KeyValue.newBuilder().setKey(key).setValue(new String(v, StandardCharsets.UTF_8)));
                    }
                } else {
                    for (String v : metadata.getAll(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER))) {
                        req.addMetadata(KeyValue.newBuilder().setKey(key).setValue(v));
                    }
                }
            }
        }
        byte[] bytes = req.build().toByteArray();
        if (bytes.length > Frame.MAX_PAYLOAD) {
            return failed(Status.RESOURCE_EXHAUSTED.withDescription("request of " + bytes.length
                    + " bytes exceeds the maximum message size of " + Frame.MAX_PAYLOAD));
        }
        Connection conn;
        try {
            conn = connection();
        } catch (StatusRuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<R> result = new CompletableFuture<>();
        conn.send(bytes, timeout, response -> {
            try (InputStream in = Payloads.stream(response)) {
                result.complete(method.parseResponse(in));
            } catch (IOException | RuntimeException e) {
                result.completeExceptionally(Status.INTERNAL.withDescription("cannot parse response").withCause(e).asRuntimeException());
            }
        }, result::completeExceptionally);
        return result;
    }

    /** Blocking form of {@link #call}: returns the response or throws its {@link StatusRuntimeException}. */
    public <Q, R> R blockingCall(MethodDescriptor<Q, R> method, Q request, Metadata metadata, Duration timeout) {
        try {
            return call(method, request, metadata, timeout).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted").withCause(e).asRuntimeException();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StatusRuntimeException sre) throw sre;
            throw StatusMapper.toStatus(e.getCause()).asRuntimeException();
        }
    }

    /** Calls waiting for a response on the current connection. */
    public synchronized int pendingCalls() {
        return connection == null ? 0 : connection.pending.size();
    }

    private synchronized Connection connection() {
        if (closed) throw Status.UNAVAILABLE.withDescription("client closed").asRuntimeException();
        if (connection != null && connection.channel.isActive()) return connection;
        Connection conn = new Connection();
        Bootstrap b = new Bootstrap().group(group).channel(EpollDomainSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) CONNECT_TIMEOUT.toMillis())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new FrameDecoder(), FrameEncoder.INSTANCE, conn);
                    }
                });
        ChannelFuture f = b.connect(address);
        if (!f.awaitUninterruptibly(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS) || !f.isSuccess()) {
            f.channel().close();
            throw Status.UNAVAILABLE.withDescription("cannot connect to " + address.path() + ": "
                    + (f.cause() == null ? "timed out" : f.cause().getMessage())).withCause(f.cause()).asRuntimeException();
        }
        conn.channel = f.channel();
        connection = conn;
        return conn;
    }

    @Override
    public void close() {
        Connection conn;
        synchronized (this) {
            if (closed) return;
            closed = true;
            conn = connection;
            connection = null;
        }
        if (conn != null) conn.channel.close().awaitUninterruptibly();
        if (ownsGroup) group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        callbacks.shutdown();
    }

    private static <R> CompletableFuture<R> failed(Status status) {
        return CompletableFuture.failedFuture(status.asRuntimeException());
    }

    private record Pending(java.util.function.Consumer<com.google.protobuf.ByteString> onResponse,
                           java.util.function.Consumer<Throwable> onError, ScheduledFuture<?> timer) {}

    /** One dialled connection: its stream ids and pending calls. */
    private final class Connection extends ChannelInboundHandlerAdapter {
        private final AtomicInteger nextStream = new AtomicInteger(1); // odd, increasing
        private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
        volatile Channel channel;

        void send(byte[] request, Duration timeout, java.util.function.Consumer<com.google.protobuf.ByteString> onResponse,
                  java.util.function.Consumer<Throwable> onError) {
            int id = nextStream.getAndAdd(2);
            ScheduledFuture<?> timer = null;
            if (timeout != null && !timeout.isZero() && !timeout.isNegative()) {
                timer = channel.eventLoop().schedule(() -> fail(id, Status.DEADLINE_EXCEEDED
                        .withDescription("deadline of " + timeout + " exceeded")), timeout.toNanos(), TimeUnit.NANOSECONDS);
            }
            pending.put(id, new Pending(onResponse, onError, timer));
            channel.writeAndFlush(new Frame(id, Frame.TYPE_REQUEST, (byte) 0, Unpooled.wrappedBuffer(request)))
                    .addListener(f -> {
                        if (!f.isSuccess()) {
                            fail(id, Status.UNAVAILABLE.withDescription("write failed: " + f.cause().getMessage())
                                    .withCause(f.cause()));
                        }
                    });
        }

        private void fail(int id, Status status) {
            Pending p = pending.remove(id);
            if (p == null) return;
            if (p.timer() != null) p.timer().cancel(false);
            deliver(() -> p.onError().accept(status.asRuntimeException()));
        }

        private void deliver(Runnable r) {
            try {
                callbacks.execute(r);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                r.run(); // client closing: complete on this thread rather than never
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                switch (msg) {
                    case Frame f when f.type() == Frame.TYPE_RESPONSE -> onResponse(f);
                    case FrameEvent.Oversized o -> fail(o.streamId(), Status.RESOURCE_EXHAUSTED
                            .withDescription("response of " + o.length() + " bytes exceeds the maximum message size"));
                    default -> { } // nothing else is meant for a client in ttrpc 1.1
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void onResponse(Frame f) {
            Pending p = pending.remove(f.streamId());
            if (p == null) return; // already timed out
            if (p.timer() != null) p.timer().cancel(false);
            Response resp;
            try {
                resp = Response.parseFrom(Payloads.bytes(f.payload()));
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                deliver(() -> p.onError().accept(Status.INTERNAL.withDescription("bad ttrpc response").withCause(e)
                        .asRuntimeException()));
                return;
            }
            if (resp.hasStatus() && resp.getStatus().getCode() != 0) {
                Status s = Status.fromCodeValue(resp.getStatus().getCode()).withDescription(resp.getStatus().getMessage());
                deliver(() -> p.onError().accept(s.asRuntimeException()));
            } else {
                deliver(() -> p.onResponse().accept(resp.getPayload()));
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            for (Integer id : List.copyOf(pending.keySet())) {
                fail(id, Status.UNAVAILABLE.withDescription("ttrpc connection closed"));
            }
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

}
