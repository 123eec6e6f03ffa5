package dev.hcsshim.ttrpc;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Splits the byte stream into {@link Frame}s. An oversized frame is skipped as it streams in
 * (so its length is never allocated) and reported as {@link FrameEvent.Oversized}. A header
 * whose framing cannot be trusted (unknown type with an oversized length, or stream 0) fails
 * with {@link CorruptedFrameException}: the handler closes the connection.
 *
 * <p>Memory: a frame is collected piece by piece as it arrives, never in a buffer sized from its
 * announced length, and what a connection holds of an incomplete frame is charged to the
 * server's {@link PartialFrameBudget}. A connection whose partial frame does not fit in the
 * budget, or that makes no progress on it for the stall timeout, is closed (the excess is
 * refused; the others keep being served).
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    private static final Logger LOG = LoggerFactory.getLogger(FrameDecoder.class);
    /** Pieces kept before they are merged into one buffer of exactly their total size. */
    private static final int MAX_PIECES = 64;

    private final int maxPayload;
    private final PartialFrameBudget budget;
    private final Duration stallTimeout;
    private long skipRemaining;
    /** Bytes of the current partial frame charged to the budget. */
    private long charged;
    private long lastProgressNanos;
    private ScheduledFuture<?> stallCheck;
    private boolean refused;

    /** A decoder with a budget of its own (tests, clients). */
    public FrameDecoder() {
        this(Frame.MAX_PAYLOAD, new PartialFrameBudget(2L * (Frame.HEADER_LENGTH + Frame.MAX_PAYLOAD)), Duration.ZERO);
    }

    /**
     * @param stallTimeout how long a partial frame may make no progress before the connection is
     *     closed; zero for no limit
     */
    public FrameDecoder(int maxPayload, PartialFrameBudget budget, Duration stallTimeout) {
        this.maxPayload = maxPayload;
        this.budget = budget;
        this.stallTimeout = stallTimeout;
        setCumulator(FrameDecoder::cumulateByPieces);
    }

    /**
     * Keeps what arrived as it arrived (no buffer grown ahead of the data, as the default
     * cumulator does by doubling); a received buffer mostly empty is copied to one of its size.
     */
    private static ByteBuf cumulateByPieces(ByteBufAllocator alloc, ByteBuf cumulation, ByteBuf in) {
        ByteBuf piece = in;
        if (in.capacity() > 2 * in.readableBytes()) {
            piece = in.isDirect() ? alloc.directBuffer(in.readableBytes()) : alloc.heapBuffer(in.readableBytes());
            piece.writeBytes(in);
            in.release();
        }
        if (!cumulation.isReadable()) {
            cumulation.release();
            return piece;
        }
        CompositeByteBuf pieces;
        if (cumulation instanceof CompositeByteBuf c && c.refCnt() == 1) {
            pieces = c;
        } else {
            pieces = alloc.compositeBuffer(MAX_PIECES).addComponent(true, cumulation);
        }
        return pieces.addComponent(true, piece);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (refused) {
            in.skipBytes(in.readableBytes());
            return;
        }
        decodeFrames(in, out);
        account(ctx, in.readableBytes());
    }

    private void decodeFrames(ByteBuf in, List<Object> out) {
        if (skipRemaining > 0) {
            int n = (int) Math.min(skipRemaining, in.readableBytes());
            in.skipBytes(n);
            skipRemaining -= n;
            if (skipRemaining > 0) return;
        }
        while (in.readableBytes() >= Frame.HEADER_LENGTH) {
            int start = in.readerIndex();
            long length = in.getUnsignedInt(start);
            int streamId = in.getInt(start + 4);
            byte type = in.getByte(start + 8);
            byte flags = in.getByte(start + 9);
            boolean known = type == Frame.TYPE_REQUEST || type == Frame.TYPE_RESPONSE || type == Frame.TYPE_DATA;
            if (!known && (length > maxPayload || streamId == 0)) {
                in.skipBytes(in.readableBytes());
                throw new CorruptedFrameException("unreadable ttrpc header: type=" + type + " stream="
                        + Integer.toUnsignedString(streamId) + " length=" + length);
            }
            if (length > maxPayload) {
                in.skipBytes(Frame.HEADER_LENGTH);
                out.add(new FrameEvent.Oversized(streamId, type, length));
                int n = (int) Math.min(length, in.readableBytes());
                in.skipBytes(n);
                skipRemaining = length - n;
                if (skipRemaining > 0) return;
                continue;
            }
            if (in.readableBytes() < Frame.HEADER_LENGTH + length) return; // wait for the rest
            in.skipBytes(Frame.HEADER_LENGTH);
            if (!known) {
                in.skipBytes((int) length);
                out.add(new FrameEvent.UnknownType(streamId, type, (int) length));
                continue;
            }
            out.add(new Frame(streamId, type, flags, in.readRetainedSlice((int) length)));
        }
    }

    /** Brings the charge in line with the {@code buffered} bytes of the partial frame now held. */
    private void account(ChannelHandlerContext ctx, long buffered) {
        long delta = buffered - charged;
        if (delta == 0) return;
        lastProgressNanos = System.nanoTime();
        if (delta < 0) {
            budget.release(-delta);
            charged = buffered;
        } else if (budget.tryCharge(delta)) {
            charged = buffered;
        } else {
            refuse(ctx, "its partial frame of " + buffered + " bytes does not fit in the partial-frame budget ("
                    + budget.used() + " of " + budget.limit() + " bytes in use)");
            return;
        }
        if (charged > 0) armStallCheck(ctx);
    }

    private void armStallCheck(ChannelHandlerContext ctx) {
        if (stallTimeout.isZero() || stallCheck != null) return;
        stallCheck = ctx.executor().schedule(() -> checkStall(ctx), stallTimeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void checkStall(ChannelHandlerContext ctx) {
        stallCheck = null;
        if (charged == 0 || refused) return;
        long idle = System.nanoTime() - lastProgressNanos;
        if (idle >= stallTimeout.toNanos()) {
            refuse(ctx, "its partial frame of " + charged + " bytes made no progress for " + stallTimeout.toMillis() + " ms");
        } else {
            stallCheck = ctx.executor().schedule(() -> checkStall(ctx), stallTimeout.toNanos() - idle, TimeUnit.NANOSECONDS);
        }
    }

    /** Closes this connection, once, and gives back what it held. */
    private void refuse(ChannelHandlerContext ctx, String why) {
        if (refused) return;
        refused = true;
        long count = budget.refusedWarnDue();
        if (count > 0) {
            LOG.warn("closing ttrpc connection {}: {} ({} connection(s) refused since the last such warning; more within a minute are logged at debug)",
                    ctx.channel(), why, count);
        } else {
            LOG.debug("closing ttrpc connection {}: {}", ctx.channel(), why);
        }
        giveBack();
        ctx.channel().config().setAutoRead(false);
        ctx.close();
    }

    private void giveBack() {
        budget.release(charged);
        charged = 0;
        if (stallCheck != null) {
            stallCheck.cancel(false);
            stallCheck = null;
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        giveBack();
    }
}
