package dev.hcsshim.ttrpc;

import io.netty.buffer.ByteBuf;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.ReferenceCounted;

/** One ttrpc message: 10-byte header fields plus its payload (owned; release when done). */
public final class Frame extends AbstractReferenceCounted {
    public static final int HEADER_LENGTH = 10;
    /** ttrpc's messageLengthMax (4 MiB), applied to the payload. */
    public static final int MAX_PAYLOAD = 4 << 20;
    public static final byte TYPE_REQUEST = 1;
    public static final byte TYPE_RESPONSE = 2;
    /** Streaming data (ttrpc 1.2+); this implementation answers it with Unimplemented. */
    public static final byte TYPE_DATA = 3;

    private final int streamId;
    private final byte type;
    private final byte flags;
    private final ByteBuf payload;

    public Frame(int streamId, byte type, byte flags, ByteBuf payload) {
        this.streamId = streamId;
        this.type = type;
        this.flags = flags;
        this.payload = payload;
    }

    public int streamId() { return streamId; }
    public byte type() { return type; }
    public byte flags() { return flags; }
    public ByteBuf payload() { return payload; }

    @Override
    protected void deallocate() { payload.release(); }

    @Override
    public ReferenceCounted touch(Object hint) { payload.touch(hint); return this; }

    @Override
    public String toString() {
        return "Frame[stream=" + Integer.toUnsignedString(streamId) + ", type=" + type + ", flags=" + flags
                + ", length=" + payload.readableBytes() + "]";
    }
}
