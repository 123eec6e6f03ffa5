package dev.hcsshim.hcsoci;

/** Whether a process exited and with which code. */
public final class ExitState {
    private final boolean exited;
    private final int code;

    public ExitState(boolean exited, int code) {
        this.exited = exited;
        this.code = code;
    }

    static final ExitState NOT_EXITED = new ExitState(false, 0);

    /** The exit code, or -1 when the process has not exited. */
    public int exitCode() {
        return exited ? code : -1;
    }

    public boolean exited() {
        return exited;
    }

    @Override
    public String toString() {
        return exited ? "process exited with exit code " + code : "process has not exited";
    }
}
