package dev.hcsshim.windows;

import dev.hcsshim.transport.PipeConnection;
import dev.hcsshim.transport.PipeDialer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries each accepted pipe connection to a byte-stream endpoint of the in-process ttrpc server
 * (Netty serves sockets, not Win32 pipe handles): two pumps per client, both ends closed when
 * either side finishes. Works with any acceptor, so it is tested over unix sockets.
 */
public final class PipeBridge implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PipeBridge.class);

    /** Where connections come from; {@link NamedPipes.Server} on Windows. */
    @FunctionalInterface
    public interface Acceptor {
        PipeConnection accept() throws IOException, InterruptedException;
    }

    private final Acceptor acceptor;
    private final PipeDialer target;
    private final String targetAddress;
    private final Set<PipeConnection> live = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread loop;

    private PipeBridge(Acceptor acceptor, PipeDialer target, String targetAddress) {
        this.acceptor = acceptor;
        this.target = target;
        this.targetAddress = targetAddress;
        this.loop = Thread.ofPlatform().daemon().name("pipe-bridge").start(this::acceptLoop);
    }

    public static PipeBridge start(Acceptor acceptor, PipeDialer target, String targetAddress) {
        return new PipeBridge(acceptor, target, targetAddress);
    }

    /** Bridges a named-pipe server (Windows). */
    public static PipeBridge start(NamedPipes.Server server, PipeDialer target, String targetAddress) {
        return start(server::accept, target, targetAddress);
    }

    private void acceptLoop() {
        while (!closed.get()) {
            PipeConnection client;
            try {
                client = acceptor.accept();
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                if (!closed.get()) LOG.warn("pipe bridge accept failed: {}", e.toString());
                return;
            }
            PipeConnection upstream;
            try {
                upstream = target.dial(targetAddress);
            } catch (IOException e) {
                LOG.warn("pipe bridge cannot reach {}: {}", targetAddress, e.toString());
                quiet(client);
                continue;
            }
            live.add(client);
            live.add(upstream);
            AtomicBoolean done = new AtomicBoolean();
            Runnable finish = () -> {
                if (done.compareAndSet(false, true)) {
                    quiet(client);
                    quiet(upstream);
                    live.remove(client);
                    live.remove(upstream);
                }
            };
            pump(client.input(), upstream.output(), finish);
            pump(upstream.input(), client.output(), finish);
        }
    }

    private static void pump(InputStream from, OutputStream to, Runnable finish) {
        Thread.ofPlatform().daemon().name("pipe-bridge-pump").start(() -> {
            byte[] buf = new byte[64 * 1024];
            try {
                int n;
                while ((n = from.read(buf)) >= 0) {
                    to.write(buf, 0, n);
                    to.flush();
                }
            } catch (IOException e) {
                // the other side went away; closing both ends below is the answer
            } finally {
                finish.run();
            }
        });
    }

    private static void quiet(PipeConnection c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    public int liveConnections() {
        return live.size() / 2;
    }

    /** Stops accepting (the acceptor must be closed by its owner to unblock) and drops every client. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        loop.interrupt();
        for (PipeConnection c : live) quiet(c);
        live.clear();
    }
}
