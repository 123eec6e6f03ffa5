package dev.hcsshim.ttrpc;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Maps exceptions escaping a service to gRPC status codes (containerd's errdefs read the
 * code), identically for ttrpc and gRPC. Known conditions never surface as a bare UNKNOWN.
 */
public final class StatusMapper {
    private StatusMapper() {}

    public static Status toStatus(Throwable t) {
        Throwable cause = unwrap(t);
        return switch (cause) {
            case StatusRuntimeException e -> e.getStatus();
            case StatusException e -> e.getStatus();
            case IllegalArgumentException e -> withMessage(Status.INVALID_ARGUMENT, e);
            case NoSuchElementException e -> withMessage(Status.NOT_FOUND, e);
            case NoSuchFileException e -> withMessage(Status.NOT_FOUND, e);
            case FileAlreadyExistsException e -> withMessage(Status.ALREADY_EXISTS, e);
            // CancellationException is an IllegalStateException: test it first.
            case CancellationException e -> withMessage(Status.CANCELLED, e);
            case IllegalStateException e -> withMessage(Status.FAILED_PRECONDITION, e);
            case UnsupportedOperationException e -> withMessage(Status.UNIMPLEMENTED, e);
            case TimeoutException e -> withMessage(Status.DEADLINE_EXCEEDED, e);
            case InterruptedException e -> withMessage(Status.CANCELLED, e);
            default -> {
                Status fromGrpc = Status.fromThrowable(cause); // finds a status deeper in the chain
                yield fromGrpc.getCode() != Status.Code.UNKNOWN ? fromGrpc : withMessage(Status.UNKNOWN, cause);
            }
        };
    }

    /** Replaces an UNKNOWN that carries a cause (e.g. {@code onError(new IllegalStateException())}) by the mapped status. */
    public static Status remap(Status status) {
        if (status.getCode() == Status.Code.UNKNOWN && status.getCause() != null) {
            Status mapped = toStatus(status.getCause());
            if (mapped.getCode() != Status.Code.UNKNOWN) return mapped;
        }
        return status;
    }

    private static Throwable unwrap(Throwable t) {
        // wrappers that only carry the real failure (UncheckedIOException carries IOExceptions through lambdas)
        while ((t instanceof CompletionException || t instanceof ExecutionException
                || t instanceof java.io.UncheckedIOException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static Status withMessage(Status base, Throwable t) {
        String msg = t.getMessage();
        if (msg == null) msg = t.getClass().getSimpleName();
        if (t instanceof NoSuchFileException || t instanceof FileAlreadyExistsException) {
            msg = t.getClass().getSimpleName() + ": " + msg;
        }
        return base.withDescription(msg).withCause(t);
    }

    /** The same mapping as a gRPC interceptor: thrown exceptions and UNKNOWN-with-cause closes are remapped. */
    public static ServerInterceptor interceptor() {
        return Interceptor.INSTANCE;
    }

    private enum Interceptor implements ServerInterceptor {
        INSTANCE;

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            MappingCall<Q, R> mapping = new MappingCall<>(call);
            ServerCall.Listener<Q> delegate;
            try {
                delegate = next.startCall(mapping, headers);
            } catch (Exception e) {
                mapping.closeOnce(toStatus(e), new Metadata());
                return new ServerCall.Listener<>() {};
            }
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
                @Override public void onMessage(Q message) { guard(() -> super.onMessage(message)); }
                @Override public void onHalfClose() { guard(super::onHalfClose); }
                @Override public void onReady() { guard(super::onReady); }

                private void guard(Runnable r) {
                    try {
                        r.run();
                    } catch (Exception e) { // checked exceptions too: handlers can throw them sneakily
                        mapping.closeOnce(toStatus(e), new Metadata());
                    }
                }
            };
        }
    }

    private static final class MappingCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
        private boolean closed;

        MappingCall(ServerCall<Q, R> delegate) { super(delegate); }

        @Override
        public synchronized void close(Status status, Metadata trailers) {
            closeOnce(remap(status), trailers);
        }

        synchronized void closeOnce(Status status, Metadata trailers) {
            if (closed) return;
            closed = true;
            super.close(status, trailers);
        }
    }
}
