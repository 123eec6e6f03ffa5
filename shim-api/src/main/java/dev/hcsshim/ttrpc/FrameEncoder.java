package dev.hcsshim.ttrpc;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/**
 * Writes a frame as one direct buffer, header and payload. The epoll transport copies any heap
 * buffer into a direct one before it writes, so a header followed by the (heap) payload itself
 * cost two direct allocations, a promise combiner and a writev per frame; this is one of each.
 */
@ChannelHandler.Sharable
public final class FrameEncoder extends MessageToByteEncoder<Frame> {
    public static final FrameEncoder INSTANCE = new FrameEncoder();

    private FrameEncoder() { super(Frame.class); }

    @Override
    protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, Frame frame, boolean preferDirect) {
        return ctx.alloc().ioBuffer(Frame.HEADER_LENGTH + frame.payload().readableBytes());
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Frame frame, ByteBuf out) {
        writeHeader(out, frame);
        ByteBuf payload = frame.payload();
        out.writeBytes(payload, payload.readerIndex(), payload.readableBytes());
    }

    /** ttrpc's 10-byte header: payload length, stream id, type, flags. */
    private static void writeHeader(ByteBuf header, Frame frame) {
        header.writeInt(frame.payload().readableBytes());
        header.writeInt(frame.streamId());
        header.writeByte(frame.type());
        header.writeByte(frame.flags());
    }
}
