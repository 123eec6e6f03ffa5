package dev.hcsshim.linux;

import dev.hcsshim.errdefs.ClassifiedError;
import dev.hcsshim.errdefs.ErrorKind;
import java.io.IOException;

/**
 * An OCI runtime command failed. The message holds the runtime's own error text (from its JSON
 * log); {@link #kind()} is containerd's error class for it, decided by {@link OciErrors} from
 * what the runtime stated.
 */
public class OciRuntimeException extends IOException implements ClassifiedError {
    private final ErrorKind kind;

    public OciRuntimeException(ErrorKind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public OciRuntimeException(ErrorKind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    @Override
    public ErrorKind kind() {
        return kind;
    }

    /** Checkpoint (criu) is not possible for this container on this host: FailedPrecondition. */
    public static final class CheckpointNotSupported extends OciRuntimeException {
        public CheckpointNotSupported(String message) {
            super(ErrorKind.FAILED_PRECONDITION, message);
        }
    }
}
