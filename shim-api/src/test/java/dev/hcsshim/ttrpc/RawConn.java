package dev.hcsshim.ttrpc;

import dev.hcsshim.proto.ttrpc.Request;
import dev.hcsshim.proto.ttrpc.Response;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A byte-level ttrpc peer for tests: writes arbitrary bytes, reads frames with a bound. */
final class RawConn implements AutoCloseable {
    record RawFrame(int streamId, byte type, byte flags, byte[] payload) {
        Response response() throws IOException { return Response.parseFrom(payload); }
    }

    private final SocketChannel ch;

    RawConn(Path socket) throws IOException {
        ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
    }

    static byte[] header(long length, int streamId, int type, int flags) {
        return ByteBuffer.allocate(10).putInt((int) length).putInt(streamId).put((byte) type).put((byte) flags).array();
    }

    static byte[] frame(int streamId, int type, byte[] payload) {
        return ByteBuffer.allocate(10 + payload.length).put(header(payload.length, streamId, type, 0)).put(payload).array();
    }

    static byte[] request(int streamId, String service, String method, com.google.protobuf.Message payload) {
        return frame(streamId, Frame.TYPE_REQUEST, Request.newBuilder().setService(service).setMethod(method)
                .setPayload(payload.toByteString()).build().toByteArray());
    }

    void write(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) ch.write(b);
    }

    /** Next frame, or null if the peer closed the connection. */
    RawFrame read(Duration bound) throws Exception {
        CompletableFuture<RawFrame> f = CompletableFuture.supplyAsync(() -> {
            try {
                ByteBuffer h = ByteBuffer.allocate(10);
                if (!fill(h)) return null;
                h.flip();
                int len = h.getInt();
                int id = h.getInt();
                byte type = h.get();
                byte flags = h.get();
                ByteBuffer p = ByteBuffer.allocate(len);
                if (!fill(p)) return null;
                return new RawFrame(id, type, flags, p.array());
            } catch (IOException e) {
                return null; // reset by peer counts as closed
            }
        }, r -> Thread.ofVirtual().start(r));
        try {
            return f.get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            ch.close(); // unblocks the reader
            throw new AssertionError("no frame and no close within " + bound);
        } catch (ExecutionException e) {
            throw new AssertionError(e.getCause());
        }
    }

    private boolean fill(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) return false;
        }
        return true;
    }

    @Override
    public void close() throws IOException { ch.close(); }
}
