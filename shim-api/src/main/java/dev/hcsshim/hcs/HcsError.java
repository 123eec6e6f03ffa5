package dev.hcsshim.hcs;

import java.io.IOException;
import java.util.List;
import java.util.Objects;

/** An error from an HCS operation: the operation, the underlying error and HCS's error events. */
public class HcsError extends IOException implements NetError {
    private final String op;
    private final Throwable err;
    private final List<ErrorEvent> events;

    public HcsError(String op, Throwable err, List<ErrorEvent> events) {
        this(null, op, err, events);
    }

    protected HcsError(String prefix, String op, Throwable err, List<ErrorEvent> events) {
        super(format(prefix == null ? op : prefix, err, events), Objects.requireNonNull(err, "err"));
        this.op = op;
        this.err = err;
        this.events = events == null ? List.of() : List.copyOf(events);
    }

    private static String format(String head, Throwable err, List<ErrorEvent> events) {
        StringBuilder sb = new StringBuilder(head).append(": ").append(err.getMessage());
        if (events != null) events.forEach(ev -> sb.append('\n').append(ev));
        return sb.toString();
    }

    public String op() {
        return op;
    }

    /** The wrapped error (also {@link #getCause()}). */
    public Throwable err() {
        return err;
    }

    public List<ErrorEvent> events() {
        return events;
    }

    /** True only when the wrapped error is itself a timeout, as hcsshim's net.Error contract says. */
    @Override
    public boolean timeout() {
        return err instanceof NetError n ? n.timeout() : err instanceof java.net.SocketTimeoutException;
    }

    @Override
    public boolean temporary() {
        return err instanceof NetError n && n.temporary();
    }
}
