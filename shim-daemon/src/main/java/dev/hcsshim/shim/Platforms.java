package dev.hcsshim.shim;

import dev.hcsshim.shim.linux.LinuxPlatform;
import dev.hcsshim.shim.platform.Platform;

/** Picks the {@link Platform} once per process: Linux directly, Windows by class name only. */
public final class Platforms {
    private Platforms() {}

    public static Platform current() {
        String forced = System.getProperty(Platform.PROPERTY);
        return of(forced != null && !forced.isEmpty() ? forced : System.getProperty("os.name"));
    }

    /** The platform of an OS name ({@code os.name}, or {@code linux}/{@code windows}). */
    public static Platform of(String osName) {
        if (osName == null || !osName.regionMatches(true, 0, "windows", 0, "windows".length())) {
            return new LinuxPlatform();
        }
        try {
            return (Platform) Class.forName("dev.hcsshim.shim.windows.WindowsPlatform").getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Windows support missing: WindowsPlatform", e);
        }
    }
}
