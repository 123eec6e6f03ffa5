package dev.hcsshim.hcs;

import java.io.IOException;

/** A message-only sentinel error (Go's {@code errors.New}); matched by identity. */
public final class Sentinel extends IOException {
    Sentinel(String message) {
        super(message, null, false, false);
    }
}
