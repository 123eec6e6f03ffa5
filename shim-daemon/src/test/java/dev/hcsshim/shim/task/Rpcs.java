package dev.hcsshim.shim.task;

import dev.hcsshim.ttrpc.StatusMapper;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/** Calling a gRPC service implementation directly, as the servers do, in tests. */
public final class Rpcs {
    private Rpcs() {}

    /**
     * Runs one RPC and returns its answer, or throws the status it answered with, mapped once as
     * the servers' interceptor maps it.
     */
    public static <Q, R> R call(BiConsumer<Q, StreamObserver<R>> rpc, Q request) {
        try {
            return async(rpc, request).get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw StatusMapper.toStatus(e.getCause()).asRuntimeException();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Starts one RPC on its own thread; the future holds its answer. */
    public static <Q, R> CompletableFuture<R> async(BiConsumer<Q, StreamObserver<R>> rpc, Q request) {
        CompletableFuture<R> result = new CompletableFuture<>();
        Thread.startVirtualThread(() -> rpc.accept(request, into(result)));
        return result;
    }

    /**
     * Calls an RPC that answers later without blocking (Wait) on this thread: once this returns,
     * the call is registered, so what the test does next cannot overtake it.
     */
    public static <Q, R> CompletableFuture<R> registered(BiConsumer<Q, StreamObserver<R>> rpc, Q request) {
        CompletableFuture<R> result = new CompletableFuture<>();
        rpc.accept(request, into(result));
        return result;
    }

    private static <R> StreamObserver<R> into(CompletableFuture<R> result) {
        return new StreamObserver<>() {
            @Override
            public void onNext(R value) {
                result.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {}
        };
    }
}
