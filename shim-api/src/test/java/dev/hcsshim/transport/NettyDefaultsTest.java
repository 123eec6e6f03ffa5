package dev.hcsshim.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.Test;

class NettyDefaultsTest {
    private static final UnpooledByteBufAllocator UNPOOLED = new UnpooledByteBufAllocator(true);

    @Test
    void nettyAsAskedHasNoDeviation() {
        assertEquals(List.of(), NettyDefaults.deviations("false", true, null, "unpooled", UNPOOLED));
    }

    @Test
    void unsafeAskedForButMissingIsReportedWithItsCause() {
        List<String> found = NettyDefaults.deviations("false", false, new ClassNotFoundException("sun.misc.Unsafe"),
                "unpooled", UNPOOLED);
        assertEquals(1, found.size(), found::toString);
        assertTrue(found.get(0).startsWith("runs without sun.misc.Unsafe: java.lang.ClassNotFoundException"), found::toString);
    }

    @Test
    void aPoolingAllocatorWhereUnpooledWasAskedIsReported() {
        assertEquals(List.of("allocates with PooledByteBufAllocator, not the unpooled allocator"),
                NettyDefaults.deviations("false", true, null, "unpooled", new PooledByteBufAllocator(false)));
    }

    @Test
    void whatAnOperatorAskedOtherwiseIsNotADeviation() {
        // -Dio.netty.noUnsafe=true and -Dio.netty.allocator.type=pooled are an operator's choice
        assertEquals(List.of(), NettyDefaults.deviations("true", false, new IllegalStateException("io.netty.noUnsafe"), "pooled",
                new PooledByteBufAllocator(false)));
    }
}
