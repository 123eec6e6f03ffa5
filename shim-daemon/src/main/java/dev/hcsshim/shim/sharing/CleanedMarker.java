package dev.hcsshim.shim.sharing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file the daemon leaves in a task's bundle once its Delete removed the runtime state and the
 * mounts, so the {@code delete} command containerd runs after every task (and, for a shared
 * daemon, while the daemon serves on) has nothing left to do and returns at once.
 */
public final class CleanedMarker {
    static final String NAME = ".runhcs-cleaned";

    private CleanedMarker() {}

    public static void mark(Path bundle) throws IOException {
        Files.writeString(bundle.resolve(NAME), "");
    }

    public static boolean isMarked(Path bundle) {
        return Files.exists(bundle.resolve(NAME));
    }
}
