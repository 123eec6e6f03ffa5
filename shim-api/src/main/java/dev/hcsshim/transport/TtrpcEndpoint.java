package dev.hcsshim.transport;

import dev.hcsshim.ttrpc.TtrpcServer;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.time.Duration;

/** A {@link TtrpcServer} listening on a protected unix socket with the SO_PEERCRED check. */
public final class TtrpcEndpoint implements AutoCloseable {
    private final TtrpcServer server;
    private final PipeAddress.UnixSocket address;
    private final PeerCredentialGuard guard;
    private final Object socketIdentity;

    private TtrpcEndpoint(TtrpcServer server, PipeAddress.UnixSocket address, PeerCredentialGuard guard) {
        this.server = server;
        this.address = address;
        this.guard = guard;
        this.socketIdentity = UnixSockets.identity(address.path());
    }

    /** Binds {@code server} at {@code address}; only peers with this process's uid are served. */
    public static TtrpcEndpoint listen(TtrpcServer server, PipeAddress.UnixSocket address, UnixSockets.Access access)
            throws IOException, InterruptedException {
        return listen(server, address, access, PeerCredentialGuard.sameUser());
    }

    public static TtrpcEndpoint listen(TtrpcServer server, PipeAddress.UnixSocket address, UnixSockets.Access access,
                                       PeerCredentialGuard guard) throws IOException, InterruptedException {
        UnixSockets.prepare(address.path(), access);
        server.start(new DomainSocketAddress(address.path().toString()), guard);
        try {
            UnixSockets.finish(address.path(), access);
        } catch (IOException e) {
            server.shutdown(Duration.ZERO);
            throw e;
        }
        return new TtrpcEndpoint(server, address, guard);
    }

    /**
     * Serves {@code server} on {@code listeningFd}, the socket already bound and listening at
     * {@code address} with its mode set (the shim's {@code start} does that and hands it over);
     * only peers with this process's uid are served.
     */
    public static TtrpcEndpoint adopt(TtrpcServer server, PipeAddress.UnixSocket address, int listeningFd)
            throws InterruptedException {
        PeerCredentialGuard guard = PeerCredentialGuard.sameUser();
        server.adopt(listeningFd, guard);
        return new TtrpcEndpoint(server, address, guard);
    }

    public PipeAddress.UnixSocket address() { return address; }
    public TtrpcServer server() { return server; }
    public PeerCredentialGuard guard() { return guard; }

    /** Graceful stop (see {@link TtrpcServer#shutdown}) and removal of the socket file. */
    public boolean shutdown(Duration grace) {
        boolean clean = server.shutdown(grace);
        UnixSockets.removeIfSame(address.path(), socketIdentity);
        return clean;
    }

    @Override
    public void close() { shutdown(Duration.ofSeconds(5)); }
}
