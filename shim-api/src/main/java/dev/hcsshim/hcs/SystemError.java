package dev.hcsshim.hcs;

import java.util.List;

/** An HCS error from an operation on a compute system. */
public class SystemError extends HcsError {
    private final String id;

    public SystemError(String id, String op, Throwable err, List<ErrorEvent> events) {
        super(op + " " + id, op, err, events);
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** Wraps {@code err} unless it already is a SystemError (hcsshim never double-wraps). */
    public static java.io.IOException of(String id, String op, Throwable err, List<ErrorEvent> events) {
        if (err instanceof SystemError se) return se;
        return new SystemError(id, op, err, events);
    }
}
