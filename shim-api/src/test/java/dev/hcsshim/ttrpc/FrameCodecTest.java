package dev.hcsshim.ttrpc;

import static org.junit.jupiter.api.Assertions.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameCodecTest {

    private static ByteBuf encode(Frame f) {
        EmbeddedChannel enc = new EmbeddedChannel(FrameEncoder.INSTANCE);
        assertTrue(enc.writeOutbound(f));
        ByteBuf out = Unpooled.buffer();
        ByteBuf part;
        while ((part = enc.readOutbound()) != null) {
            out.writeBytes(part);
            part.release();
        }
        enc.finishAndReleaseAll();
        return out;
    }

    private static List<Object> drain(EmbeddedChannel ch) {
        List<Object> out = new ArrayList<>();
        Object o;
        while ((o = ch.readInbound()) != null) out.add(o);
        return out;
    }

    private static void assertFrame(Object o, int id, byte type, byte flags, String payload) {
        Frame f = assertInstanceOf(Frame.class, o);
        try {
            assertEquals(id, f.streamId());
            assertEquals(type, f.type());
            assertEquals(flags, f.flags());
            assertEquals(payload, f.payload().toString(StandardCharsets.UTF_8));
        } finally {
            f.release();
        }
    }

    @Test
    void roundTripKeepsEveryHeaderFieldAndPayload() {
        Frame f = new Frame(0xFFFFFFFD, Frame.TYPE_RESPONSE, (byte) 0x81, Unpooled.copiedBuffer("hello", StandardCharsets.UTF_8));
        ByteBuf wire = encode(f); // the encoder consumes (releases) the frame
        assertEquals(0, f.refCnt());
        assertEquals(15, wire.readableBytes());
        assertEquals(5, wire.getInt(0));
        assertEquals(0xFFFFFFFD, wire.getInt(4));
        assertEquals(2, wire.getByte(8));
        EmbeddedChannel dec = new EmbeddedChannel(new FrameDecoder());
        dec.writeInbound(wire);
        List<Object> out = drain(dec);
        assertEquals(1, out.size());
        assertFrame(out.get(0), 0xFFFFFFFD, Frame.TYPE_RESPONSE, (byte) 0x81, "hello");
        assertFalse(dec.finishAndReleaseAll());
    }

    @Test
    void aFrameIsWrittenAsOneDirectBuffer() {
        // what the epoll transport writes as it is: no copy into a direct buffer, one write
        EmbeddedChannel enc = new EmbeddedChannel(FrameEncoder.INSTANCE);
        assertTrue(enc.writeOutbound(new Frame(5, Frame.TYPE_RESPONSE, (byte) 0,
                Unpooled.wrappedBuffer("payload".getBytes(StandardCharsets.UTF_8)))));
        ByteBuf only = enc.readOutbound();
        try {
            assertNull(enc.readOutbound(), "one buffer per frame");
            assertTrue(only.isDirect());
            assertEquals(Frame.HEADER_LENGTH + 7, only.readableBytes());
            assertEquals("payload", only.toString(Frame.HEADER_LENGTH, 7, StandardCharsets.UTF_8));
        } finally {
            only.release();
            enc.finishAndReleaseAll();
        }
    }

    @Test
    void emptyPayloadRoundTrips() {
        ByteBuf wire = encode(new Frame(7, Frame.TYPE_REQUEST, (byte) 0, Unpooled.EMPTY_BUFFER));
        EmbeddedChannel dec = new EmbeddedChannel(new FrameDecoder());
        dec.writeInbound(wire);
        assertFrame(drain(dec).get(0), 7, Frame.TYPE_REQUEST, (byte) 0, "");
        dec.finishAndReleaseAll();
    }

    @Test
    void frameSplitAtEveryByteBoundaryDecodesOnce() {
        byte[] wire = RawConn.frame(3, Frame.TYPE_REQUEST, "split me".getBytes(StandardCharsets.UTF_8));
        for (int cut = 0; cut <= wire.length; cut++) {
            EmbeddedChannel dec = new EmbeddedChannel(new FrameDecoder());
            dec.writeInbound(Unpooled.wrappedBuffer(wire, 0, cut));
            List<Object> first = drain(dec);
            if (cut < wire.length) assertTrue(first.isEmpty(), "decoded early at cut " + cut);
            dec.writeInbound(Unpooled.wrappedBuffer(wire, cut, wire.length - cut));
            first.addAll(drain(dec));
            assertEquals(1, first.size(), "cut " + cut);
            assertFrame(first.get(0), 3, Frame.TYPE_REQUEST, (byte) 0, "split me");
            assertFalse(dec.finishAndReleaseAll());
        }
    }

    @Test
    void oneByteAtATimeDecodes() {
        byte[] wire = RawConn.frame(9, Frame.TYPE_REQUEST, "drip".getBytes(StandardCharsets.UTF_8));
        EmbeddedChannel dec = new EmbeddedChannel(new FrameDecoder());
        for (byte b : wire) dec.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        assertFrame(drain(dec).get(0), 9, Frame.TYPE_REQUEST, (byte) 0, "drip");
        dec.finishAndReleaseAll();
    }

    @Test
    void severalFramesInOneRead() {
        ByteBuf all = Unpooled.buffer();
        for (int i = 0; i < 5; i++) all.writeBytes(RawConn.frame(2 * i + 1, Frame.TYPE_REQUEST, ("m" + i).getBytes(StandardCharsets.UTF_8)));
        all.writeBytes(RawConn.frame(11, Frame.TYPE_REQUEST, "tail".getBytes(StandardCharsets.UTF_8)), 0, 4); // partial next
        EmbeddedChannel dec = new EmbeddedChannel(new FrameDecoder());
        dec.writeInbound(all);
        List<Object> out = drain(dec);
        assertEquals(5, out.size());
        for (int i = 0; i < 5; i++) assertFrame(out.get(i), 2 * i + 1, Frame.TYPE_REQUEST, (byte) 0, "m" + i);
        dec.finishAndReleaseAll();
    }

    @Test
    void oversizedFrameIsSkippedWithoutBufferingItsLength() {
        UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
        EmbeddedChannel dec = new EmbeddedChannel();
        dec.config().setAllocator(alloc);
        dec.pipeline().addLast(new FrameDecoder());
        long huge = Frame.MAX_PAYLOAD + 1_000_000L;
        dec.writeInbound(Unpooled.wrappedBuffer(RawConn.header(huge, 5, Frame.TYPE_REQUEST, 0)));
        List<Object> out = drain(dec);
        assertEquals(List.of(new FrameEvent.Oversized(5, Frame.TYPE_REQUEST, huge)), out);
        byte[] chunk = new byte[64 * 1024];
        long sent = 0;
        long peak = 0;
        while (sent < huge) {
            int n = (int) Math.min(chunk.length, huge - sent);
            dec.writeInbound(Unpooled.wrappedBuffer(chunk, 0, n));
            sent += n;
            peak = Math.max(peak, alloc.metric().usedHeapMemory() + alloc.metric().usedDirectMemory());
            assertTrue(drain(dec).isEmpty());
        }
        assertTrue(peak < 1 << 20, "decoder buffered " + peak + " bytes while skipping");
        dec.writeInbound(Unpooled.wrappedBuffer(RawConn.frame(7, Frame.TYPE_REQUEST, "next".getBytes(StandardCharsets.UTF_8))));
        assertFrame(drain(dec).get(0), 7, Frame.TYPE_REQUEST, (byte) 0, "next");
        dec.finishAndReleaseAll();
    }

    @Test
    void maxSizedFrameIsAccepted() {
        byte[] wire = RawConn.frame(1, Frame.TYPE_REQUEST, new byte[Frame.MAX_PAYLOAD]);
        EmbeddedChannel dec = new EmbeddedChannel(new FrameDecoder());
        dec.writeInbound(Unpooled.wrappedBuffer(wire));
        Frame f = assertInstanceOf(Frame.class, drain(dec).get(0));
        assertEquals(Frame.MAX_PAYLOAD, f.payload().readableBytes());
        f.release();
        dec.finishAndReleaseAll();
    }

    @Test
    void unknownTypeWithSaneLengthIsReportedAndSkipped() {
        EmbeddedChannel dec = new EmbeddedChannel(new FrameDecoder());
        ByteBuf in = Unpooled.buffer();
        in.writeBytes(RawConn.frame(5, 0x7f, new byte[] {1, 2, 3}));
        in.writeBytes(RawConn.frame(7, Frame.TYPE_REQUEST, "ok".getBytes(StandardCharsets.UTF_8)));
        dec.writeInbound(in);
        List<Object> out = drain(dec);
        assertEquals(new FrameEvent.UnknownType(5, (byte) 0x7f, 3), out.get(0));
        assertFrame(out.get(1), 7, Frame.TYPE_REQUEST, (byte) 0, "ok");
        dec.finishAndReleaseAll();
    }

    @Test
    void unreadableHeaderFailsTheConnection() {
        EmbeddedChannel dec = new EmbeddedChannel(new FrameDecoder());
        byte[] http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        DecoderException e = assertThrows(DecoderException.class, () -> dec.writeInbound(Unpooled.wrappedBuffer(http)));
        assertTrue(e.getMessage().contains("unreadable ttrpc header"), e.getMessage());
        dec.finishAndReleaseAll();
        EmbeddedChannel dec2 = new EmbeddedChannel(new FrameDecoder());
        assertThrows(DecoderException.class, () -> dec2.writeInbound(Unpooled.wrappedBuffer(RawConn.frame(0, 9, new byte[0]))));
        dec2.finishAndReleaseAll();
    }
}
