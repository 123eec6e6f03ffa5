package dev.hcsshim.hcsoci;

import java.io.IOException;

/** Something a container holds that must be released once (a mount, a share, a device...). */
@FunctionalInterface
public interface ResourceCloser {
    void release() throws IOException;

    /** How {@link Resources#release} treats it. */
    default Kind kind() {
        return Kind.GENERIC;
    }

    enum Kind {
        GENERIC,
        /** Released only when the shim created the network namespace. */
        NETWORK_ENDPOINTS,
        /** Container credential guard instances: released only on a full release. */
        CREDENTIALS
    }
}
