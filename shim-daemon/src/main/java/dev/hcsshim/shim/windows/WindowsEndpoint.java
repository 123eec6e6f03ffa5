package dev.hcsshim.shim.windows;

import dev.hcsshim.shim.platform.Platform;
import dev.hcsshim.transport.PipeDialer;
import dev.hcsshim.windows.PipeBridge;
import dev.hcsshim.windows.PipeSecurity;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The shim's endpoint on Windows: containerd dials
 * {@code \\.\pipe\ProtectedPrefix\Administrators\containerd-shim-<ns>-<id>-pipe} (admins and
 * SYSTEM only); each client is bridged to the in-process ttrpc server's private byte-stream
 * socket.
 */
public final class WindowsEndpoint implements Platform.Endpoint {
    /** Enough listening instances that a burst of dials never sees "all pipe instances are busy". */
    static final int INSTANCES = 4;

    private final WindowsPipes.Listener server;
    private final PipeBridge bridge;
    private final String address;

    private WindowsEndpoint(WindowsPipes.Listener server, PipeBridge bridge, String address) {
        this.server = server;
        this.bridge = bridge;
        this.address = address;
    }

    /** Listens on the shim's protected pipe and carries its clients to {@code ttrpcSocket}. */
    public static WindowsEndpoint bridge(WindowsPipes pipes, String namespace, String id, Path ttrpcSocket) throws IOException {
        String path = PipeSecurity.shimPipePath(namespace, id);
        WindowsPipes.Listener server = pipes.listen(path, PipeSecurity.SHIM_SDDL, INSTANCES);
        try {
            return new WindowsEndpoint(server, PipeBridge.start(server, PipeDialer.UNIX_SOCKETS, ttrpcSocket.toString()), path);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** The pipe path containerd is told (hcsshim prints it bare, without an npipe:// scheme). */
    @Override
    public String address() {
        return address;
    }

    @Override
    public void close() {
        // the server first: its accept returns and the bridge loop ends
        try {
            server.close();
        } finally {
            bridge.close();
        }
    }
}
