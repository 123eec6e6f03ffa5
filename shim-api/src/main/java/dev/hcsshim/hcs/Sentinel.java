package dev.hcsshim.hcs;

import java.io.IOException;

/** A message-only sentinel error (Go's {@code errors.New}); matched by identity. */
public final class Sentinel extends IOException {
    Sentinel(String message) {
        super(message);
    }

    /** Shared values: a stack trace would describe whoever built the first one. */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
