package dev.hcsshim.ttrpc;

import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import io.netty.channel.Channel;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A unary call received over ttrpc, presented to gRPC handlers as a {@link ServerCall}.
 * Listener events run serially on the handler executor inside the call's {@link Context}.
 */
final class TtrpcServerCall<Q, R> extends ServerCall<Q, R> {
    private static final Logger LOG = LoggerFactory.getLogger(TtrpcServerCall.class);
    private final TtrpcServer server;
    private final Channel channel;
    private final int streamId;
    private final MethodDescriptor<Q, R> method;
    private final Context.CancellableContext context;
    /** Listener events one at a time, in order: gRPC listeners must never be called concurrently. */
    private final Executor serial;
    private final Runnable onDone;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean cancelled;
    // touched only on the serial executor
    private Listener<Q> listener;
    private Q request;
    private boolean delivered;
    private byte[] response;

    TtrpcServerCall(TtrpcServer server, Channel channel, int streamId, MethodDescriptor<Q, R> method,
                    Context.CancellableContext context, Executor handlerExecutor, Runnable onDone) {
        this.server = server;
        this.channel = channel;
        this.streamId = streamId;
        this.method = method;
        this.context = context;
        this.serial = MoreExecutors.newSequentialExecutor(handlerExecutor);
        this.onDone = onDone;
        context.addListener(c -> onContextCancelled(), MoreExecutors.directExecutor());
    }

    void begin(ServerCallHandler<Q, R> handler, Metadata headers, ByteString payload) {
        runSerially(() -> context.run(() -> {
            if (closed.get()) return;
            try {
                try (InputStream in = Payloads.stream(payload)) {
                    request = method.parseRequest(in);
                } catch (IOException | RuntimeException e) {
                    close(Status.INVALID_ARGUMENT.withDescription("cannot parse request: " + e.getMessage()), new Metadata());
                    return;
                }
                listener = handler.startCall(this, headers);
                if (closed.get()) return;
                listener.onReady();
            } catch (Throwable t) {
                close(unhandled(t), new Metadata());
            }
        }));
    }

    /** Hands the single request message to the listener once it asked for one (serial executor). */
    private void deliver() {
        if (delivered || listener == null || closed.get()) return;
        delivered = true;
        context.run(() -> {
            try {
                listener.onMessage(request);
                request = null;
                listener.onHalfClose();
            } catch (Throwable t) {
                close(unhandled(t), new Metadata());
            }
        });
    }

    /**
     * A failure no interceptor turned into a status. Failures get their status in one place, the
     * {@link StatusMapper#interceptor()} servers install; this is only the transport's last resort.
     */
    private Status unhandled(Throwable t) {
        return Status.INTERNAL.withDescription("unhandled failure in " + method.getFullMethodName()).withCause(t);
    }

    /** Ends the call from outside (connection loss, shutdown); the handler sees a cancelled Context. */
    void cancel(Status status) {
        context.cancel(status.asException());
    }

    private void onContextCancelled() {
        if (!closed.compareAndSet(false, true)) return;
        cancelled = true;
        Throwable cause = context.cancellationCause();
        Status status = cause instanceof TimeoutException
                ? Status.DEADLINE_EXCEEDED.withDescription("deadline exceeded after " + method.getFullMethodName())
                : Status.fromThrowable(cause);
        if (channel.isActive()) TtrpcServer.writeResponse(channel, streamId, status, null);
        finish();
        runSerially(() -> {
            if (listener != null) context.run(listener::onCancel);
        });
    }

    private void runSerially(Runnable event) {
        try {
            serial.execute(event);
        } catch (RejectedExecutionException e) {
            LOG.debug("handler executor is shut down; dropping a call event of {}", method.getFullMethodName());
        }
    }

    private void finish() {
        onDone.run();
        server.callFinished(this);
    }

    @Override
    public void request(int numMessages) {
        // Queued behind startCall (which is where unary handlers ask), so the listener is set by then.
        if (numMessages > 0) runSerially(this::deliver);
    }

    @Override
    public void sendHeaders(Metadata headers) {
        // ttrpc responses carry no headers.
    }

    @Override
    public void sendMessage(R message) {
        if (closed.get()) return;
        if (response != null) throw new IllegalStateException("unary call already has a response");
        try {
            response = Payloads.toBytes(method.getResponseMarshaller(), message);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize response", e);
        }
    }

    @Override
    public void close(Status status, Metadata trailers) {
        if (!closed.compareAndSet(false, true)) return;
        Status s = status;
        if (s.isOk() && response == null) {
            s = Status.INTERNAL.withDescription("no response message for unary call " + method.getFullMethodName());
        }
        TtrpcServer.writeResponse(channel, streamId, s, s.isOk() ? response : null);
        finish();
        runSerially(() -> {
            try {
                if (listener != null) context.run(listener::onComplete);
            } finally {
                context.cancel(null); // releases the deadline timer
            }
        });
    }

    @Override
    public boolean isCancelled() { return cancelled; }

    @Override
    public boolean isReady() { return channel.isWritable(); }

    @Override
    public Attributes getAttributes() {
        return Attributes.newBuilder()
                .set(Grpc.TRANSPORT_ATTR_REMOTE_ADDR, channel.remoteAddress())
                .set(Grpc.TRANSPORT_ATTR_LOCAL_ADDR, channel.localAddress())
                .build();
    }

    @Override
    public String getAuthority() { return null; }

    @Override
    public MethodDescriptor<Q, R> getMethodDescriptor() { return method; }
}
