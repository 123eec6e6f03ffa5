package dev.hcsshim.ttrpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Optional;

/** The containerd namespace of the current call, read from ttrpc or gRPC metadata. */
public final class Namespaces {
    /** Key containerd uses over ttrpc. */
    public static final Metadata.Key<String> TTRPC_KEY =
            Metadata.Key.of("containerd-namespace-ttrpc", Metadata.ASCII_STRING_MARSHALLER);
    /** Key containerd uses over gRPC. */
    public static final Metadata.Key<String> GRPC_KEY =
            Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER);
    /** Context key set by {@link #interceptor()}. */
    public static final Context.Key<String> CONTEXT_KEY = Context.key("containerd-namespace");

    private Namespaces() {}

    /** The namespace in headers: the ttrpc key first, then the gRPC one. */
    public static Optional<String> fromMetadata(Metadata headers) {
        String ns = headers.get(TTRPC_KEY);
        if (ns == null || ns.isEmpty()) ns = headers.get(GRPC_KEY);
        return ns == null || ns.isEmpty() ? Optional.empty() : Optional.of(ns);
    }

    /** The namespace of the call running on this thread, if the interceptor saw one. */
    public static Optional<String> current() {
        return Optional.ofNullable(CONTEXT_KEY.get());
    }

    public static ServerInterceptor interceptor() {
        return Interceptor.INSTANCE;
    }

    private enum Interceptor implements ServerInterceptor {
        INSTANCE;

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            Optional<String> ns = fromMetadata(headers);
            if (ns.isEmpty()) return next.startCall(call, headers);
            return Contexts.interceptCall(Context.current().withValue(CONTEXT_KEY, ns.get()), call, headers, next);
        }
    }
}
