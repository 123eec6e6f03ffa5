package dev.hcsshim.ttrpc;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/** Writes a header buffer followed by the payload itself (no copy of the payload). */
@ChannelHandler.Sharable
public final class FrameEncoder extends MessageToMessageEncoder<Frame> {
    public static final FrameEncoder INSTANCE = new FrameEncoder();

    private FrameEncoder() { super(Frame.class); }

    @Override
    protected void encode(ChannelHandlerContext ctx, Frame frame, List<Object> out) {
        ByteBuf header = ctx.alloc().buffer(Frame.HEADER_LENGTH);
        writeHeader(header, frame);
        out.add(header);
        out.add(frame.payload().retain());
    }

    /** Header bytes for a frame, exposed for tests and raw writers. */
    public static void writeHeader(ByteBuf header, Frame frame) {
        header.writeInt(frame.payload().readableBytes());
        header.writeInt(frame.streamId());
        header.writeByte(frame.type());
        header.writeByte(frame.flags());
    }
}
