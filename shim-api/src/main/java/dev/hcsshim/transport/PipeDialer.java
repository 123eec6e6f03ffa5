package dev.hcsshim.transport;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;

/** Opens a {@link PipeConnection} to a pipe path. */
@FunctionalInterface
public interface PipeDialer {
    PipeConnection dial(String path) throws IOException;

    /**
     * Dials unix sockets: the pipe protocols over AF_UNIX, which Linux tests use and which
     * Windows 10 1803+ has too (the shim's named pipe is bridged onto one).
     */
    PipeDialer UNIX_SOCKETS = path -> PipeConnection.of(SocketChannel.open(UnixDomainSocketAddress.of(path)));
}
