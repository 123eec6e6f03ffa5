package dev.hcsshim.hcsoci;

import java.io.IOException;

/** A process exited with a non-zero code. */
public final class ExitError extends IOException {
    private final ExitState state;

    private final byte[] output;

    public ExitError(ExitState state) {
        this(state, null);
    }

    /** With the stdout {@link Cmd#output()} collected before the failure. */
    public ExitError(ExitState state, byte[] output) {
        super(state.toString());
        this.state = state;
        this.output = output;
    }

    /** What {@link Cmd#output()} collected, or null. */
    public byte[] output() {
        return output == null ? null : output.clone();
    }

    public ExitState exitState() {
        return state;
    }

    public int exitCode() {
        return state.exitCode();
    }
}
