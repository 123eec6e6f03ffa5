package dev.hcsshim.windows;

import java.time.Duration;

/**
 * How long a pending HCS operation may take before ErrTimeout (hcsshim's timeout.System*
 * defaults: four minutes). Settable for tests and operators.
 */
public final class HcsTimeouts {
    private HcsTimeouts() {}

    public static volatile Duration systemCreate = Duration.ofMinutes(4);
    public static volatile Duration systemStart = Duration.ofMinutes(4);
    public static volatile Duration systemPause = Duration.ofMinutes(4);
    public static volatile Duration systemResume = Duration.ofMinutes(4);
    public static volatile Duration systemSave = Duration.ofMinutes(4);

    /** Sets every pending-operation timeout at once. */
    public static void setAll(Duration d) {
        systemCreate = systemStart = systemPause = systemResume = systemSave = d;
    }
}
