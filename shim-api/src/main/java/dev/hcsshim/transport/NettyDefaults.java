package dev.hcsshim.transport;

import io.netty.util.internal.PlatformDependent;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.util.Map;

/**
 * How the shim programs set Netty up, before anything loads it (the JVM launcher and the native
 * executable alike; a {@code -D} given for one of these still wins). Buffers without a pool: Netty
 * carries only ttrpc and gRPC messages here (a few KiB, a few per container; stdio does not go
 * through Netty), and a pooling allocator's first chunk is direct memory the JDK zeroes page by
 * page on the first read of every daemon (~1 MiB touched, milliseconds on containerd's path) and
 * then keeps. And sun.misc.Unsafe, which Netty leaves alone on Java 25 unless told: without it
 * every buffer's address goes through a method handle and every direct buffer is zeroed. Netty
 * logs errors only ({@link ErrorOnlyNettyLogging}).
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
     * Why Netty runs without the Unsafe it was asked to use (a missing native-image registration,
     * say), or null when it has it or was not asked to. Loads Netty.
     */
    public static String unsafeMissing() {
        if (!"false".equals(System.getProperty(NO_UNSAFE)) || PlatformDependent.hasUnsafe()) {
            return null;
        }
        return String.valueOf(PlatformDependent.getUnsafeUnavailabilityCause());
    }
}
