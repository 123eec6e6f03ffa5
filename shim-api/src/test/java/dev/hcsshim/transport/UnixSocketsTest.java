package dev.hcsshim.transport;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnixSocketsTest {
    @TempDir
    Path dir;

    @Test
    void aSocketIsLiveWhileSomethingListensOnItAndNotOnceItIsStaleOrGone() throws Exception {
        Path socket = dir.resolve("s.sock");
        assertFalse(UnixSockets.isLive(socket), "no file");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            assertTrue(UnixSockets.isLive(socket), "listening");
        }
        assertTrue(Files.exists(socket), "closing a channel leaves its file");
        assertFalse(UnixSockets.isLive(socket), "stale: the file is there, nobody accepts");
        Files.delete(socket);
        assertFalse(UnixSockets.isLive(socket), "gone");
    }
}
