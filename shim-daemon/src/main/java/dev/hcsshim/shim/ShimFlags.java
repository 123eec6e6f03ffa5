package dev.hcsshim.shim;

import java.nio.file.Path;

/**
 * The flags containerd passes to a runtime shim (Go flag syntax: {@code -namespace ns}), plus
 * the command. See shared/containerd-shim-protocol.md for what containerd 1.6 sends.
 */
public record ShimFlags(
        String namespace,
        String id,
        String address,
        String publishBinary,
        Path bundle,
        String socket,
        int socketFd,
        boolean debug,
        String command) {

    public static final String RUNTIME = "io.containerd.runhcs.v1";

    /** {@code socketFd} when {@code start} handed the daemon no listening socket. */
    public static final int NO_SOCKET_FD = -1;

    /** True when {@code start} bound the socket and handed it over ({@code -socket-fd}). */
    public boolean socketHandedOver() {
        return socketFd != NO_SOCKET_FD;
    }

    /** The bundle directory: {@code -bundle}, else the working directory containerd gave us. */
    public Path bundleDir() {
        return bundle != null ? bundle : Path.of("").toAbsolutePath();
    }
}
