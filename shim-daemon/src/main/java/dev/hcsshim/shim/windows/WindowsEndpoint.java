package dev.hcsshim.shim.windows;

import dev.hcsshim.runhcs.RunHcs;
import dev.hcsshim.windows.NamedPipes;
import dev.hcsshim.windows.PipeBridge;
import dev.hcsshim.windows.PipeSecurity;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * The shim's endpoint on Windows: containerd dials
 * {@code \\.\pipe\ProtectedPrefix\Administrators\containerd-shim-<ns>-<id>-pipe} (admins and
 * SYSTEM only); each client is bridged to the in-process ttrpc server's private byte-stream
 * socket. Reached by name from {@code Platform}, so Linux never loads it.
 */
public final class WindowsEndpoint implements AutoCloseable {
    /** Enough listening instances that a burst of dials never sees "all pipe instances are busy". */
    static final int INSTANCES = 4;

    private final AutoCloseable server;
    private final PipeBridge bridge;
    private final String address;

    private WindowsEndpoint(AutoCloseable server, PipeBridge bridge, String address) {
        this.server = server;
        this.bridge = bridge;
        this.address = address;
    }

    /** Listens on the shim's protected pipe and carries its clients to {@code ttrpcSocket}. */
    public static WindowsEndpoint bridge(String namespace, String id, Path ttrpcSocket) throws IOException {
        String path = PipeSecurity.shimPipePath(namespace, id);
        NamedPipes.Server server = NamedPipes.Server.listen(path, PipeSecurity.SHIM_SDDL, INSTANCES);
        try {
            return new WindowsEndpoint(server, PipeBridge.start(server, UNIX, ttrpcSocket.toString()), path);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** The pipe path containerd is told (hcsshim prints it bare, without an npipe:// scheme). */
    public String address() {
        return address;
    }

    /** Dials a unix socket as a pipe connection (AF_UNIX exists on Windows 10 1803 and later). */
    static final RunHcs.PipeDialer UNIX = path -> {
        SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path));
        InputStream in = Channels.newInputStream(c);
        OutputStream out = Channels.newOutputStream(c);
        return new RunHcs.PipeConnection() {
            @Override
            public InputStream input() {
                return in;
            }

            @Override
            public OutputStream output() {
                return out;
            }

            @Override
            public void close() throws IOException {
                c.close();
            }
        };
    };

    @Override
    public void close() throws Exception {
        // the server first: its accept returns and the bridge loop ends
        try {
            server.close();
        } finally {
            bridge.close();
        }
    }
}
