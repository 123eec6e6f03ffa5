package dev.hcsshim.windows;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Where each Windows DLL is loaded from. The system property {@code hcsshim.native.override}
 * names one library that stands in for all of them (the test double on Linux); nothing is
 * loaded until a binding is first used.
 */
final class NativeLibraries {
    static final String OVERRIDE = "hcsshim.native.override";

    private NativeLibraries() {}

    static <T extends Library> T load(String dll, Class<T> type) {
        String override = System.getProperty(OVERRIDE);
        if (override != null && !override.isEmpty()) return Native.load(override, type);
        if (!System.getProperty("os.name", "").startsWith("Windows")) {
            throw new UnsupportedOperationException(dll + ".dll is only available on Windows");
        }
        return Native.load(dll, type);
    }
}
