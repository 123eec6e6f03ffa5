package dev.hcsshim.transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;

/** A bidirectional pipe connection: a named pipe on Windows, a unix socket, anything stream-like in tests. */
public interface PipeConnection extends AutoCloseable {
    InputStream input();

    OutputStream output();

    @Override
    void close() throws IOException;

    /** A connected unix socket seen as a pipe connection (closing it closes the socket). */
    static PipeConnection of(SocketChannel channel) {
        InputStream in = Channels.newInputStream(channel);
        OutputStream out = Channels.newOutputStream(channel);
        return new PipeConnection() {
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
                channel.close();
            }
        };
    }
}
