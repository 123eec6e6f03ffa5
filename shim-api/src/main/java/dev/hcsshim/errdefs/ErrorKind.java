package dev.hcsshim.errdefs;

import io.grpc.Status;

/**
 * containerd's error classes (its {@code errdefs} package) and the gRPC code each travels as:
 * containerd turns the code back into {@code ErrNotFound}, {@code ErrAlreadyExists} and so on,
 * which is what ctr and the CRI plugin act on. A failure is given its kind where it happens,
 * by the code that knows what went wrong; {@link #UNKNOWN} is for everything else.
 */
public enum ErrorKind {
    NOT_FOUND(Status.Code.NOT_FOUND),
    ALREADY_EXISTS(Status.Code.ALREADY_EXISTS),
    FAILED_PRECONDITION(Status.Code.FAILED_PRECONDITION),
    INVALID_ARGUMENT(Status.Code.INVALID_ARGUMENT),
    UNAVAILABLE(Status.Code.UNAVAILABLE),
    NOT_IMPLEMENTED(Status.Code.UNIMPLEMENTED),
    DEADLINE_EXCEEDED(Status.Code.DEADLINE_EXCEEDED),
    UNKNOWN(Status.Code.UNKNOWN);

    private final Status.Code code;

    ErrorKind(Status.Code code) {
        this.code = code;
    }

    /** The gRPC code containerd reads this kind from. */
    public Status.Code code() {
        return code;
    }
}
