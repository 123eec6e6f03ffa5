package dev.hcsshim.linux;

import java.io.IOException;

/**
 * An OCI runtime command failed. The message holds runc's own error text (from its JSON log).
 * {@link #kind()} classifies it for mapping to containerd errdefs.
 */
public class OciRuntimeException extends IOException {
    /** What kind of failure, for the gRPC status mapping above. */
    public enum Kind {
        /** container does not exist (NotFound) */
        NOT_FOUND,
        /** container id already in use (AlreadyExists) */
        ALREADY_EXISTS,
        /** the container's state does not allow the operation (FailedPrecondition) */
        FAILED_PRECONDITION,
        /** the spec cannot run: missing executable, bad path, invalid value (InvalidArgument) */
        INVALID_SPEC,
        /** anything else (Unknown/Internal) */
        OTHER
    }

    private final Kind kind;

    public OciRuntimeException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public OciRuntimeException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** Checkpoint (criu) is not possible for this container on this host: FailedPrecondition. */
    public static final class CheckpointNotSupported extends OciRuntimeException {
        public CheckpointNotSupported(String message) {
            super(Kind.FAILED_PRECONDITION, message);
        }
    }
}
