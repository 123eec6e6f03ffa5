package dev.hcsshim.shim.task;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * containerd's error classes (its errdefs package) as gRPC statuses: containerd turns these
 * codes back into ErrNotFound, ErrAlreadyExists and so on, which is what ctr and CRI act on.
 */
public final class Errdefs {
    private Errdefs() {}

    public static StatusRuntimeException notFound(String format, Object... args) {
        return Status.NOT_FOUND.withDescription(String.format(format, args)).asRuntimeException();
    }

    public static StatusRuntimeException alreadyExists(String format, Object... args) {
        return Status.ALREADY_EXISTS.withDescription(String.format(format, args)).asRuntimeException();
    }

    public static StatusRuntimeException failedPrecondition(String format, Object... args) {
        return Status.FAILED_PRECONDITION.withDescription(String.format(format, args)).asRuntimeException();
    }

    public static StatusRuntimeException invalidArgument(String format, Object... args) {
        return Status.INVALID_ARGUMENT.withDescription(String.format(format, args)).asRuntimeException();
    }

    public static StatusRuntimeException unavailable(String format, Object... args) {
        return Status.UNAVAILABLE.withDescription(String.format(format, args)).asRuntimeException();
    }
}
