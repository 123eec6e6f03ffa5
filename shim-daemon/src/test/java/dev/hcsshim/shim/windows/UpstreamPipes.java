package dev.hcsshim.shim.windows;

import dev.hcsshim.transport.PipeConnection;
import dev.hcsshim.transport.PipeDialer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * containerd's side of a task's stdio: what would be named pipes on Windows are unix sockets
 * here, and the dialer maps a {@code \\.\pipe\...} path to its socket, so NpipeIO runs unchanged.
 */
final class UpstreamPipes implements AutoCloseable {
    private final Path dir;
    private final Map<String, Path> sockets = new ConcurrentHashMap<>();
    private final Map<String, ServerSocketChannel> listeners = new ConcurrentHashMap<>();
    private int next;

    UpstreamPipes(Path dir) {
        this.dir = dir;
    }

    /** A pipe whose whole content (read until the shim closes it) completes the future. */
    synchronized Map.Entry<String, CompletableFuture<String>> output(String name) throws IOException {
        String pipe = "\\\\.\\pipe\\containerd-" + name;
        ServerSocketChannel l = listen(pipe);
        CompletableFuture<String> out = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (SocketChannel c = l.accept(); InputStream in = Channels.newInputStream(c)) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                in.transferTo(b);
                out.complete(b.toString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                out.completeExceptionally(e);
            }
        });
        return Map.entry(pipe, out);
    }

    private ServerSocketChannel listen(String pipe) throws IOException {
        Path sock = dir.resolve("p" + (next++));
        ServerSocketChannel l = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        l.bind(UnixDomainSocketAddress.of(sock));
        sockets.put(pipe, sock);
        listeners.put(pipe, l);
        return l;
    }

    PipeDialer dialer() {
        return path -> {
            Path sock = sockets.get(path);
            if (sock == null) throw new IOException("the system cannot find the file specified: " + path);
            return PipeConnection.of(SocketChannel.open(UnixDomainSocketAddress.of(sock)));
        };
    }

    @Override
    public void close() throws IOException {
        for (ServerSocketChannel l : listeners.values()) l.close();
    }
}
