package dev.hcsshim.shim.windows;

import dev.hcsshim.transport.PipeConnection;
import dev.hcsshim.transport.PipeDialer;
import dev.hcsshim.windows.NamedPipes;
import dev.hcsshim.windows.PipeBridge;
import dev.hcsshim.windows.PipeSecurity;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How the Windows platform reaches named pipes: through kernel32, or, to run the Windows path on
 * Linux, through unix sockets that stand for them (one socket per pipe path in a directory).
 */
public interface WindowsPipes {

    /** A pipe server; {@code accept} yields one client connection at a time. */
    interface Listener extends PipeBridge.Acceptor, AutoCloseable {
        @Override
        void close();
    }

    /** Listens on {@code path} (a {@code \\.\pipe\...} name) admitting only what {@code sddl} allows. */
    Listener listen(String path, String sddl, int instances) throws IOException;

    /** Connects to pipes other processes serve (containerd's stdio pipes, its log reader). */
    PipeDialer dialer();

    /** Real named pipes (Windows). */
    static WindowsPipes kernel32() {
        return new WindowsPipes() {
            @Override
            public Listener listen(String path, String sddl, int instances) throws IOException {
                NamedPipes.Server server = NamedPipes.Server.listen(path, sddl, instances);
                return new Listener() {
                    @Override
                    public PipeConnection accept() throws IOException, InterruptedException {
                        return server.accept();
                    }

                    @Override
                    public void close() {
                        server.close();
                    }
                };
            }

            @Override
            public PipeDialer dialer() {
                return NamedPipes.DIALER;
            }
        };
    }

    /**
     * Pipes as unix sockets in {@code dir}, at {@link #socketFor}: the named-pipe protocols are
     * byte streams either way, so everything above the transport runs unchanged.
     */
    static WindowsPipes unixSocketsIn(Path dir) {
        return new WindowsPipes() {
            @Override
            public Listener listen(String path, String sddl, int instances) throws IOException {
                Path socket = socketFor(dir, path);
                ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    server.bind(UnixDomainSocketAddress.of(socket), Math.max(instances, 1) * 16);
                } catch (IOException e) {
                    server.close();
                    throw new IOException("cannot listen on " + path + " (" + socket + "): " + e.getMessage(), e);
                }
                return new Listener() {
                    @Override
                    public PipeConnection accept() throws IOException {
                        return PipeConnection.of(server.accept());
                    }

                    @Override
                    public void close() {
                        try {
                            server.close();
                            Files.deleteIfExists(socket);
                        } catch (IOException e) {
                            // the socket file goes with the test's directory
                        }
                    }
                };
            }

            @Override
            public PipeDialer dialer() {
                return path -> PipeConnection.of(SocketChannel.open(UnixDomainSocketAddress.of(socketFor(dir, path))));
            }
        };
    }

    /** The socket standing for pipe {@code path}: its name below {@code \\.\pipe\}, separators made safe. */
    static Path socketFor(Path dir, String path) {
        String name = PipeSecurity.checkPath(path).substring(PipeSecurity.PIPE_ROOT.length());
        return dir.resolve(name.replaceAll("[^A-Za-z0-9._-]", "_"));
    }
}
