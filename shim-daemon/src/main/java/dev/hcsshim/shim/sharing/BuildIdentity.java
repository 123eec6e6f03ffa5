package dev.hcsshim.shim.sharing;

import dev.hcsshim.nativeimage.NativeImage;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HexFormat;

/**
 * A short name for the installed build that is running: the identity (file key, size, mtime) of
 * the native executable, or of the jar this class came from on the JVM. Cheap (one stat), and
 * different for every build installed, so shared daemons are never joined across an upgrade.
 */
public final class BuildIdentity {
    private BuildIdentity() {}

    public static String current() {
        try {
            return of(codeFile());
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return "unknown";
        }
    }

    static String of(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        long h = 1125899906842597L;
        for (Object part : new Object[] {a.fileKey(), a.size(), a.lastModifiedTime().toMillis()}) {
            h = 31 * h + String.valueOf(part).hashCode();
        }
        return HexFormat.of().toHexDigits(h).substring(4);
    }

    private static Path codeFile() throws URISyntaxException, IOException {
        if (NativeImage.inExecutable()) {
            // its code source is the executable too, but the image makes a protection domain for
            // it on first use (~0.6 ms of every start and daemon)
            return NativeImage.executable();
        }
        var source = BuildIdentity.class.getProtectionDomain().getCodeSource();
        if (source != null && source.getLocation() != null && "file".equals(source.getLocation().getProtocol())) {
            return Path.of(source.getLocation().toURI());
        }
        return Path.of("/proc/self/exe").toRealPath();
    }
}
