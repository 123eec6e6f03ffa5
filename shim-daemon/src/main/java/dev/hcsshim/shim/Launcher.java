package dev.hcsshim.shim;

import dev.hcsshim.nativeimage.NativeImage;

/** How this program starts itself again as the daemon: its native executable, or its launcher script on a JVM. */
final class Launcher {
    private Launcher() {}

    static String self() {
        if (NativeImage.inExecutable()) {
            return NativeImage.executable().toString();
        }
        String self = System.getProperty("hcsshim.launcher");
        if (self == null || self.isEmpty()) {
            throw new IllegalStateException("hcsshim.launcher is not set: run through dist/bin/containerd-shim-runhcs-v1");
        }
        return self;
    }
}
