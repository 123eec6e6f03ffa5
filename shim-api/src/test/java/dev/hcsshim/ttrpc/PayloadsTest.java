package dev.hcsshim.ttrpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.google.protobuf.ByteString;
import com.google.protobuf.StringValue;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PayloadsTest {
    private static final MethodDescriptor.Marshaller<StringValue> PROTO = TestService.ECHO.getRequestMarshaller();

    /** A marshaller whose streams do not know their length. */
    private static final MethodDescriptor.Marshaller<String> PLAIN = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
    };

    @Test
    void messagesOfEverySizeSerializeToTheirExactBytes() throws Exception {
        for (int size : new int[] {0, 1, 127, 128, 16_383, 16_384, 16_385, 100_000}) {
            StringValue message = StringValue.of("x".repeat(size));
            assertArrayEquals(message.toByteArray(), Payloads.toBytes(PROTO, message), "size " + size);
        }
        String text = "y".repeat(40_000);
        assertArrayEquals(text.getBytes(StandardCharsets.UTF_8), Payloads.toBytes(PLAIN, text));
    }

    @Test
    void payloadsParseThroughAStreamOfKnownLength() throws Exception {
        for (int size : new int[] {0, 5, 70_000}) {
            StringValue message = StringValue.of("z".repeat(size));
            ByteString payload = message.toByteString();
            try (InputStream in = Payloads.stream(payload)) {
                assertInstanceOf(KnownLength.class, in);
                assertEquals(payload.size(), in.available());
                assertEquals(message, PROTO.parse(in));
            }
            // a payload cut out of a larger buffer, as a frame's is
            ByteString framed = ByteString.copyFromUtf8("head").concat(payload).concat(ByteString.copyFromUtf8("tail"))
                    .substring(4, 4 + payload.size());
            try (InputStream in = Payloads.stream(framed)) {
                assertEquals(payload.size(), in.available());
                assertEquals(message, PROTO.parse(in));
            }
        }
    }
}
