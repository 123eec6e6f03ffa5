package dev.hcsshim.nativeimage;

import dev.hcsshim.transport.NettyDefaults;
import org.graalvm.nativeimage.hosted.Feature;

/**
 * Netty's defaults (properties, error-only loggers) set in the image builder, before it
 * initialises Netty's classes into the image as Netty's own native-image configuration asks: what
 * those initialisers read and the loggers they keep are then the shim's, not the builder's.
 */
public final class NettyBuildTimeDefaults implements Feature {
    @Override
    public void afterRegistration(AfterRegistrationAccess access) {
        NettyDefaults.apply();
    }

    @Override
    public String getDescription() {
        return "Sets the shim's Netty defaults before Netty is initialised at build time";
    }
}
