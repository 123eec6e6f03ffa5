package dev.hcsshim.hcs;

import java.io.IOException;
import java.util.Map;

/**
 * A Win32 error or HRESULT as HCS returns it (Go's {@code syscall.Errno} on Windows). Equal by
 * code, so a value built from a native result matches the sentinel in {@link Hcs}.
 */
public final class Errno extends IOException implements NetError {
    private static final Map<Long, String> MESSAGES = Map.ofEntries(
            Map.entry(0x5L, "Access is denied."),
            Map.entry(0x6L, "The handle is invalid."),
            Map.entry(0xdL, "The data is invalid."),
            Map.entry(0x32L, "The request is not supported."),
            Map.entry(0x7fL, "The specified procedure could not be found."),
            Map.entry(0x490L, "Element not found."),
            Map.entry(0xc0370103L, "The operation is pending."),
            Map.entry(0xc0370105L, "The requested compute system operation is not valid in the current state."),
            Map.entry(0xc0370106L, "The virtual machine or container exited unexpectedly."),
            Map.entry(0xc037010bL, "The guest compute system does not support the message."),
            Map.entry(0xc037010dL, "The virtual machine or container JSON document is invalid."),
            Map.entry(0xc037010eL, "A virtual machine or container with the specified identifier does not exist."),
            Map.entry(0xc0370110L, "The operation could not be started because the virtual machine or container is already stopped."),
            Map.entry(0x8037011fL, "The process is already stopped."));

    private final long code;

    public Errno(long code) {
        super(describe(code & 0xffffffffL));
        this.code = code & 0xffffffffL;
    }

    /** The unsigned 32-bit value. */
    public long code() {
        return code;
    }

    private static String describe(long code) {
        String m = MESSAGES.get(code);
        return m != null ? m : String.format("HRESULT 0x%08x", code);
    }

    /**
     * Go's Errno.Timeout/Temporary only hold for EAGAIN/EINTR-like values, which on Windows are
     * invented numbers HCS never returns; so no HCS code is a timeout or temporary.
     */
    @Override
    public boolean timeout() {
        return false;
    }

    @Override
    public boolean temporary() {
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Errno e && e.code == code;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(code);
    }

    /** Shared values: a stack trace would describe whoever built the first one. */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
