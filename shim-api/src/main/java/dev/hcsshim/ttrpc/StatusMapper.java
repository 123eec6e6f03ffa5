package dev.hcsshim.ttrpc;

import dev.hcsshim.errdefs.ClassifiedError;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns what a call failed with into its gRPC status, once per call: the {@link #interceptor()}
 * both servers install is the one place. The kind of a failure is decided where it happens
 * (a {@link StatusRuntimeException} from a check, a {@link ClassifiedError} from the runtime);
 * this class does not guess it from exception types. What is left unclassified is Unknown
 * (containerd's own answer for an error it cannot place) or, for a programming error, Internal.
 * Descriptions are for people: they never show Java class names.
 */
public final class StatusMapper {
    private static final Logger log = LoggerFactory.getLogger(StatusMapper.class);
    /** "java.nio.file.NoSuchFileException: " or "NoSuchFileException: " at the start of a message part. */
    private static final Pattern CLASS_NAME = Pattern.compile(
            "(?:\\b[a-z_][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error)(?::\\s*|\\b)|\\b[A-Z][\\w$]*(?:Exception|Error):\\s*");

    private StatusMapper() {}

    public static Status toStatus(Throwable t) {
        Throwable cause = unwrap(t);
        return switch (cause) {
            case StatusRuntimeException e -> readable(e.getStatus());
            case StatusException e -> readable(e.getStatus());
            case ClassifiedError c -> Status.fromCode(c.kind().code()).withDescription(describe(cause)).withCause(cause);
            // argument checks (ours, and the JDK's on request text, e.g. a path with a NUL) refuse bad input
            case IllegalArgumentException e -> Status.INVALID_ARGUMENT.withDescription(describe(e)).withCause(e);
            case CancellationException e -> Status.CANCELLED.withDescription("cancelled").withCause(e);
            case InterruptedException e -> Status.CANCELLED.withDescription("interrupted").withCause(e);
            case InterruptedIOException e -> Status.CANCELLED.withDescription(describe(e)).withCause(e);
            // unchecked: a programming error; checked (our own I/O above all): a failure nobody placed
            case RuntimeException e -> unclassified(Status.INTERNAL, e);
            case Error e -> unclassified(Status.INTERNAL, e);
            default -> unclassified(Status.UNKNOWN, cause);
        };
    }

    /** Our own failure nobody classified. Logged with its stack: the description is all the caller gets. */
    private static Status unclassified(Status base, Throwable t) {
        String what = describe(t);
        log.warn("call failed ({}): {}", base.getCode(), what, t);
        return base.withDescription(base.getCode() == Status.Code.INTERNAL ? "internal error: " + what : what).withCause(t);
    }

    /** A status a handler closed with through {@code onError(e)}: gRPC hands it over as Unknown with e as cause. */
    static Status remap(Status status) {
        if (status.getCode() == Status.Code.UNKNOWN && status.getDescription() == null && status.getCause() != null) {
            return toStatus(status.getCause());
        }
        return readable(status);
    }

    private static Throwable unwrap(Throwable t) {
        // wrappers that only carry the real failure (UncheckedIOException carries IOExceptions through lambdas)
        while ((t instanceof CompletionException || t instanceof ExecutionException
                || t instanceof UncheckedIOException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static Status readable(Status s) {
        String d = s.getDescription();
        return d == null ? s : s.withDescription(withoutClassNames(d));
    }

    /** A failure in words: the file and what happened to it, or the message; never a class name. */
    public static String describe(Throwable t) {
        if (t instanceof FileSystemException fs) {
            String reason = fs.getReason() != null ? fs.getReason() : reasonOf(fs);
            String file = fs.getFile() == null ? "" : fs.getFile() + (fs.getOtherFile() == null ? "" : " -> " + fs.getOtherFile());
            return file.isEmpty() ? reason : file + ": " + reason;
        }
        String msg = t.getMessage();
        Throwable cause = t.getCause();
        // new IOException(cause) and friends repeat the cause's toString(), class name included
        if (cause != null && cause != t && (msg == null || msg.equals(cause.toString()))) {
            return describe(cause);
        }
        if (msg == null || msg.isBlank()) {
            return "no details (see the shim's log)";
        }
        return withoutClassNames(msg);
    }

    static String withoutClassNames(String text) {
        return CLASS_NAME.matcher(text).replaceAll("");
    }

    private static String reasonOf(FileSystemException e) {
        return switch (e) {
            case NoSuchFileException x -> "no such file or directory";
            case FileAlreadyExistsException x -> "file exists";
            case AccessDeniedException x -> "permission denied";
            case DirectoryNotEmptyException x -> "directory not empty";
            case NotDirectoryException x -> "not a directory";
            default -> "file system error";
        };
    }

    /** The mapping as a server interceptor: thrown exceptions and {@code onError} closes get their status here. */
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
