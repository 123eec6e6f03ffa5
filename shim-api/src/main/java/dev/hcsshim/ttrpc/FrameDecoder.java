package dev.hcsshim.ttrpc;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import java.util.List;

/**
 * Splits the byte stream into {@link Frame}s. An oversized frame is skipped as it streams in
 * (so its length is never allocated) and reported as {@link FrameEvent.Oversized}. A header
 * whose framing cannot be trusted (unknown type with an oversized length, or stream 0) fails
 * with {@link CorruptedFrameException}: the handler closes the connection.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    private final int maxPayload;
    private long skipRemaining;

    public FrameDecoder() { this(Frame.MAX_PAYLOAD); }

    public FrameDecoder(int maxPayload) { this.maxPayload = maxPayload; }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
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
}
