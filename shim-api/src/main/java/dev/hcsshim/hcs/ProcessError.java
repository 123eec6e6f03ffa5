package dev.hcsshim.hcs;

import java.util.List;

/** An HCS error from an operation on a process. */
public class ProcessError extends HcsError {
    private final String systemId;
    private final int pid;

    public ProcessError(String systemId, int pid, String op, Throwable err, List<ErrorEvent> events) {
        super(op + " " + systemId + ":" + pid, op, err, events);
        this.systemId = systemId;
        this.pid = pid;
    }

    public String systemId() {
        return systemId;
    }

    public int pid() {
        return pid;
    }

    /** Wraps {@code err} unless it already is a ProcessError. */
    public static java.io.IOException of(String systemId, int pid, String op, Throwable err, List<ErrorEvent> events) {
        if (err instanceof ProcessError pe) return pe;
        return new ProcessError(systemId, pid, op, err, events);
    }
}
