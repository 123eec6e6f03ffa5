package dev.hcsshim.ttrpc;

import com.google.protobuf.Int64Value;
import com.google.protobuf.StringValue;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.NoSuchElementException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeoutException;

/** A test service built without .proto files: wrapper-type messages, grpc stub handlers. */
final class TestService {
    static final String NAME = "test.Echo";
    static final Context.Key<String> HEADER_SEEN = Context.key("x-test");
    static final Metadata.Key<String> X_TEST = Metadata.Key.of("x-test", Metadata.ASCII_STRING_MARSHALLER);

    static final MethodDescriptor<StringValue, StringValue> ECHO = unary("Echo", StringValue.getDefaultInstance(), StringValue.getDefaultInstance());
    /** Sleeps the requested milliseconds, then returns them. */
    static final MethodDescriptor<Int64Value, Int64Value> SLEEP = unary("Sleep", Int64Value.getDefaultInstance(), Int64Value.getDefaultInstance());
    /** Throws the exception named by the request. */
    static final MethodDescriptor<StringValue, StringValue> THROW = unary("Throw", StringValue.getDefaultInstance(), StringValue.getDefaultInstance());
    /** Passes the exception named by the request to onError instead of throwing. */
    static final MethodDescriptor<StringValue, StringValue> ON_ERROR = unary("OnError", StringValue.getDefaultInstance(), StringValue.getDefaultInstance());
    /** Returns "<namespace>|<x-test header seen by the interceptor>". */
    static final MethodDescriptor<StringValue, StringValue> WHO = unary("Who", StringValue.getDefaultInstance(), StringValue.getDefaultInstance());
    /** Blocks until the call's Context is cancelled. */
    static final MethodDescriptor<StringValue, StringValue> BLOCK = unary("Block", StringValue.getDefaultInstance(), StringValue.getDefaultInstance());
    /** Returns "virtual" (the handler ran on a virtual thread) or the name of the platform thread it ran on. */
    static final MethodDescriptor<StringValue, StringValue> THREAD = unary("Thread", StringValue.getDefaultInstance(), StringValue.getDefaultInstance());

    final CountDownLatch blockEntered = new CountDownLatch(1);
    final CountDownLatch blockCancelled = new CountDownLatch(1);
    volatile Throwable blockCancelCause;

    static <Q extends com.google.protobuf.Message, R extends com.google.protobuf.Message> MethodDescriptor<Q, R> unary(
            String method, Q req, R resp) {
        return unary(NAME, method, req, resp);
    }

    static <Q extends com.google.protobuf.Message, R extends com.google.protobuf.Message> MethodDescriptor<Q, R> unary(
            String service, String method, Q req, R resp) {
        return MethodDescriptor.<Q, R>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(service, method))
                .setRequestMarshaller(ProtoUtils.marshaller(req))
                .setResponseMarshaller(ProtoUtils.marshaller(resp))
                .build();
    }

    static RuntimeException exception(String name) {
        return switch (name) {
            case "Classified" -> new java.io.UncheckedIOException(
                    new Classified(dev.hcsshim.errdefs.ErrorKind.NOT_FOUND, "container does not exist"));
            case "IOExceptionWrappingACause" -> new java.io.UncheckedIOException(
                    new java.io.IOException(new java.nio.file.AccessDeniedException("/tmp/runc-log.json")));
            case "NullPointerException" -> new NullPointerException();
            case "IllegalArgumentException" -> new IllegalArgumentException("bad arg");
            case "NoSuchElementException" -> new NoSuchElementException("no such thing");
            case "NoSuchFileException" -> new java.io.UncheckedIOException(new NoSuchFileException("/nope"));
            case "FileAlreadyExistsException" -> new java.io.UncheckedIOException(new FileAlreadyExistsException("/there"));
            case "IllegalStateException" -> new IllegalStateException("cannot start in state stopped");
            case "UnsupportedOperationException" -> new UnsupportedOperationException("nope");
            case "TimeoutException" -> new java.util.concurrent.CompletionException(new TimeoutException("slow"));
            case "StatusRuntimeException" -> Status.PERMISSION_DENIED.withDescription("keep me").asRuntimeException();
            case "RuntimeException" -> new RuntimeException("boom");
            default -> throw new AssertionError(name);
        };
    }

    ServerServiceDefinition definition() {
        ServiceDescriptor desc = ServiceDescriptor.newBuilder(NAME)
                .addMethod(ECHO).addMethod(SLEEP).addMethod(THROW).addMethod(ON_ERROR).addMethod(WHO).addMethod(BLOCK).addMethod(THREAD).build();
        return ServerServiceDefinition.builder(desc)
                .addMethod(ECHO, ServerCalls.asyncUnaryCall((req, obs) -> {
                    obs.onNext(StringValue.of("echo:" + req.getValue()));
                    obs.onCompleted();
                }))
                .addMethod(SLEEP, ServerCalls.asyncUnaryCall((req, obs) -> {
                    try {
                        Thread.sleep(req.getValue());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    obs.onNext(req);
                    obs.onCompleted();
                }))
                .addMethod(THROW, ServerCalls.asyncUnaryCall((req, obs) -> {
                    RuntimeException e = exception(req.getValue());
                    // unwrap the checked-exception carriers so the mapper sees the real type
                    if (e instanceof java.io.UncheckedIOException u) sneaky(u.getCause());
                    throw e;
                }))
                .addMethod(ON_ERROR, ServerCalls.asyncUnaryCall((req, obs) -> obs.onError(exception(req.getValue()))))
                .addMethod(WHO, ServerCalls.asyncUnaryCall((req, obs) -> {
                    obs.onNext(StringValue.of(Namespaces.current().orElse("-") + "|" + HEADER_SEEN.get()));
                    obs.onCompleted();
                }))
                .addMethod(THREAD, ServerCalls.asyncUnaryCall((req, obs) -> {
                    Thread t = Thread.currentThread();
                    obs.onNext(StringValue.of(t.isVirtual() ? "virtual" : t.getName()));
                    obs.onCompleted();
                }))
                .addMethod(BLOCK, ServerCalls.asyncUnaryCall((req, obs) -> {
                    Context ctx = Context.current();
                    CountDownLatch done = new CountDownLatch(1);
                    ctx.addListener(c -> {
                        blockCancelCause = c.cancellationCause();
                        done.countDown();
                    }, Runnable::run);
                    blockEntered.countDown();
                    try {
                        done.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    blockCancelled.countDown();
                    obs.onNext(StringValue.of("late"));
                    obs.onCompleted();
                }))
                .build();
    }

    /** A failure classified where it happened, as the runtime layer's are. */
    static final class Classified extends java.io.IOException implements dev.hcsshim.errdefs.ClassifiedError {
        private final dev.hcsshim.errdefs.ErrorKind kind;

        Classified(dev.hcsshim.errdefs.ErrorKind kind, String message) {
            super(message);
            this.kind = kind;
        }

        @Override
        public dev.hcsshim.errdefs.ErrorKind kind() {
            return kind;
        }
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneaky(Throwable t) throws T {
        throw (T) t;
    }

    /** Copies the x-test header into the Context, proving interceptors see ttrpc metadata. */
    static final ServerInterceptor HEADER_INTERCEPTOR = new ServerInterceptor() {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            if ("deny".equals(headers.get(X_TEST))) { // an interceptor that refuses before the handler runs
                call.close(Status.PERMISSION_DENIED.withDescription("denied by interceptor"), new Metadata());
                return new ServerCall.Listener<>() {};
            }
            return Contexts.interceptCall(Context.current().withValue(HEADER_SEEN, headers.get(X_TEST)), call, headers, next);
        }
    };
}
