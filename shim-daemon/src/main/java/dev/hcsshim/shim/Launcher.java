package dev.hcsshim.shim;

/** Where this program's launcher script is, so it can start itself again as the daemon. */
final class Launcher {
    private Launcher() {}

    static String self() {
        String self = System.getProperty("hcsshim.launcher");
        if (self == null || self.isEmpty()) {
            throw new IllegalStateException("hcsshim.launcher is not set: run through dist/bin/containerd-shim-runhcs-v1");
        }
        return self;
    }
}
