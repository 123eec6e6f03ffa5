package dev.hcsshim.shim.task;

/** The shim's version, as {@code -v} and Connect report it. */
public final class Version {
    public static final String VERSION = versionOf();

    private Version() {}

    private static String versionOf() {
        String v = Version.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0-dev";
    }
}
