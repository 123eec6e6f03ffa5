package dev.hcsshim.ttrpc;

import com.google.protobuf.ByteString;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A message's bytes through its gRPC marshaller, sized exactly. {@code InputStream.readAllBytes}
 * reads in 16 KiB arrays, and a stream not known to be of a length makes protobuf's marshaller
 * parse through a 4 KiB buffer: for messages of a few dozen bytes most of what a call allocated,
 * and a collection every few execs.
 */
final class Payloads {
    private Payloads() {}

    /** {@code message} serialized: protobuf's marshaller streams know their length. */
    static <T> byte[] toBytes(MethodDescriptor.Marshaller<T> marshaller, T message) throws IOException {
        try (InputStream in = marshaller.stream(message)) {
            return in instanceof KnownLength ? in.readNBytes(in.available()) : in.readAllBytes();
        }
    }

    /**
     * A frame's payload as one array to parse from. Not {@code ByteBuf.nioBuffer()}: for a direct
     * buffer Netty slices it through a MethodHandle, which a native image runs through its
     * method-handle interpreter (~50 µs of the event loop per frame, more than the copy).
     */
    static byte[] bytes(ByteBuf payload) {
        return ByteBufUtil.getBytes(payload);
    }

    /** {@code payload} as a stream whose length the marshaller can see (it then parses from one array). */
    static InputStream stream(ByteString payload) {
        return new Known(payload.newInput());
    }

    private static final class Known extends FilterInputStream implements KnownLength {
        Known(InputStream in) {
            super(in); // a ByteString's stream: available() is exactly what is left
        }
    }
}
