package dev.hcsshim.windows;

/** Lazily loaded bindings: touching this class on Linux without the test double fails fast. */
final class Natives {
    private Natives() {}

    private static final class Holder {
        static final Vmcompute VMCOMPUTE = NativeLibraries.load("vmcompute", Vmcompute.class);
        static final Ole32 OLE32 = NativeLibraries.load("ole32", Ole32.class);
        static final Kernel32Io KERNEL32 = NativeLibraries.load("kernel32", Kernel32Io.class);
    }

    static Vmcompute vmcompute() {
        return Holder.VMCOMPUTE;
    }

    static Ole32 ole32() {
        return Holder.OLE32;
    }

    static Kernel32Io kernel32() {
        return Holder.KERNEL32;
    }
}
