package dev.hcsshim.transport;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.PeerCredentials;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits on a listening unix socket's pipeline and sees each accepted connection before it is
 * registered (so before any byte is read or written): a peer whose SO_PEERCRED uid differs from
 * the allowed uid is logged and closed.
 */
@ChannelHandler.Sharable
public final class PeerCredentialGuard extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(PeerCredentialGuard.class);
    private final int allowedUid;
    private final AtomicLong rejected = new AtomicLong();

    public PeerCredentialGuard(int allowedUid) { this.allowedUid = allowedUid; }

    /** Allows only peers running as this process's effective uid. */
    public static PeerCredentialGuard sameUser() { return new PeerCredentialGuard(UnixSockets.currentUid()); }

    public int allowedUid() { return allowedUid; }

    /** Connections refused so far. */
    public long rejectedCount() { return rejected.get(); }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof EpollDomainSocketChannel child) {
            PeerCredentials creds;
            try {
                creds = child.peerCredentials();
            } catch (IOException | RuntimeException e) {
                rejected.incrementAndGet();
                LOG.warn("refusing connection on {}: cannot read peer credentials: {}", ctx.channel().localAddress(), e.toString());
                child.unsafe().closeForcibly();
                return;
            }
            if (creds.uid() != allowedUid) {
                rejected.incrementAndGet();
                LOG.warn("refusing connection on {} from pid {} uid {} (only uid {} may connect)",
                        ctx.channel().localAddress(), creds.pid(), creds.uid(), allowedUid);
                child.unsafe().closeForcibly();
                return;
            }
        }
        // A NIO child (no SO_PEERCRED; only where epoll is missing, i.e. Windows behind the
        // named-pipe bridge) relies on the socket's 0600 mode in its 0700 directory.
        ctx.fireChannelRead(msg);
    }
}
