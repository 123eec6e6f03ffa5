package dev.hcsshim.windows;

import dev.hcsshim.transport.PipeConnection;
import dev.hcsshim.transport.PipeDialer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import static org.junit.jupiter.api.Assertions.*;

/** The named-pipe-to-ttrpc bridge, with unix sockets on both sides. */
@Timeout(30)
class PipeBridgeTest {
    @TempDir
    Path dir;

    static final PipeDialer UNIX = PipeDialer.UNIX_SOCKETS;

    @Test
    void burstOfClientsIsRelayedBothWays() throws Exception {
        Path backend = dir.resolve("ttrpc.sock");
        Path front = dir.resolve("pipe.sock");
        // the "ttrpc server": echoes with a prefix until the client closes
        ServerSocketChannel echo = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        echo.bind(UnixDomainSocketAddress.of(backend));
        Thread.ofPlatform().daemon().start(() -> {
            while (true) {
                SocketChannel c;
                try {
                    c = echo.accept();
                } catch (IOException e) {
                    return;
                }
                Thread.ofPlatform().daemon().start(() -> {
                    try (c) {
                        InputStream in = Channels.newInputStream(c);
                        OutputStream out = Channels.newOutputStream(c);
                        byte[] b = new byte[256];
                        int n;
                        while ((n = in.read(b)) > 0) {
                            out.write("echo:".getBytes(StandardCharsets.UTF_8));
                            out.write(b, 0, n);
                        }
                    } catch (IOException ignored) {
                        // client gone
                    }
                });
            }
        });
        ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(front), 64);
        try (PipeBridge bridge = PipeBridge.start(() -> PipeConnection.of(listener.accept()), UNIX, backend.toString())) {
            List<SocketChannel> clients = new ArrayList<>();
            for (int i = 0; i < 16; i++) clients.add(SocketChannel.open(UnixDomainSocketAddress.of(front)));
            for (int i = 0; i < clients.size(); i++) {
                Channels.newOutputStream(clients.get(i)).write(("m" + i).getBytes(StandardCharsets.UTF_8));
            }
            for (int i = 0; i < clients.size(); i++) {
                String want = "echo:m" + i;
                byte[] got = Channels.newInputStream(clients.get(i)).readNBytes(want.length());
                assertEquals(want, new String(got, StandardCharsets.UTF_8));
            }
            for (SocketChannel c : clients) c.close();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (bridge.liveConnections() != 0 && System.nanoTime() < deadline) Thread.onSpinWait();
            assertEquals(0, bridge.liveConnections(), "both ends closed when a client leaves");
        } finally {
            listener.close();
            echo.close();
        }
    }
}
