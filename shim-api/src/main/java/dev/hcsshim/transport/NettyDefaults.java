package dev.hcsshim.transport;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.internal.PlatformDependent;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How the shim programs set Netty up, before anything loads it (the JVM launcher and the native
 * executable alike, and the native image builder, which initialises most of Netty when it builds
 * the image). Buffers without a pool: Netty carries only ttrpc and gRPC messages here (a few KiB,
 * a few per container; stdio does not go through Netty), and a pooling allocator's first chunk is
 * direct memory the JDK zeroes page by page on the first read of every daemon (~1 MiB touched,
 * milliseconds on containerd's path) and then keeps. And sun.misc.Unsafe, which Netty leaves
 * alone on Java 25 unless told: without it every buffer's address goes through a method handle
 * and every direct buffer is zeroed. Netty logs errors only ({@link ErrorOnlyNettyLogging}).
 */
public final class NettyDefaults {
    private static final String NO_UNSAFE = "io.netty.noUnsafe";
    private static final Map<String, String> PROPERTIES = Map.of(
            "io.netty.allocator.type", "unpooled",
            "io.grpc.netty.useCustomAllocator", "false",
            NO_UNSAFE, "false");

    private NettyDefaults() {}

    /** Sets what is not set yet, and Netty's loggers; call before the first Netty class loads. */
    public static void apply() {
        PROPERTIES.forEach((name, value) -> {
            if (System.getProperty(name) == null) {
                System.setProperty(name, value);
            }
        });
        InternalLoggerFactory.setDefaultFactory(new ErrorOnlyNettyLogging());
    }

    /**
     * Where the Netty this process runs differs from what {@link #apply()} asks (a missing
     * native-image registration, a property the builder did not see), one sentence each; empty
     * when it runs as asked or was asked otherwise. Loads Netty.
     */
    public static List<String> deviations() {
        return deviations(System.getProperty(NO_UNSAFE), PlatformDependent.hasUnsafe(),
                PlatformDependent.getUnsafeUnavailabilityCause(), System.getProperty("io.netty.allocator.type"),
                ByteBufAllocator.DEFAULT);
    }

    static List<String> deviations(String noUnsafe, boolean hasUnsafe, Throwable unsafeCause, String allocatorType,
            ByteBufAllocator allocator) {
        List<String> found = new ArrayList<>();
        if ("false".equals(noUnsafe) && !hasUnsafe) {
            found.add("runs without sun.misc.Unsafe: " + unsafeCause);
        }
        if ("unpooled".equals(allocatorType) && !(allocator instanceof UnpooledByteBufAllocator)) {
            found.add("allocates with " + allocator.getClass().getSimpleName() + ", not the unpooled allocator");
        }
        return found;
    }
}
