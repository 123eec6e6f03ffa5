package dev.hcsshim.linux;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A runtime's {@code --root} directory (one per containerd namespace). It exists while it holds
 * containers: the delete that empties it removes it, so namespaces do not leave empty
 * directories behind. runc makes the root for any command, so the one race is with a create in
 * another daemon, between making the root and runc making the container's directory in it:
 * creates hold a shared {@code flock} on the directory across {@code runc create}, and removal
 * takes it exclusively, giving up when a create holds it (that create's container keeps the root).
 */
final class StateRoot {
    private final Path dir;

    StateRoot(Path dir) {
        this.dir = dir;
    }

    Path path() {
        return dir;
    }

    /** Makes the root if needed and keeps it from being removed until closed. */
    Hold holdForCreate() throws IOException {
        while (true) {
            Files.createDirectories(dir);
            int fd = open();
            if (fd < 0) continue; // removed between the two calls
            try {
                LibC.INSTANCE.flock(fd, LibC.LOCK_SH);
            } catch (LastErrorException e) {
                Fds.closeQuietly(fd);
                throw new IOException("cannot lock " + dir + ": errno " + e.getErrorCode());
            }
            if (!isRemoved(fd)) return () -> Fds.closeQuietly(fd);
            Fds.closeQuietly(fd); // removed while we waited for the lock: make it again
        }
    }

    /** Removes the root if it holds nothing and no create is under way. */
    void removeIfEmpty() throws IOException {
        int fd = open();
        if (fd < 0) return;
        try {
            try {
                LibC.INSTANCE.flock(fd, LibC.LOCK_EX | LibC.LOCK_NB);
            } catch (LastErrorException busy) {
                return; // a create holds it
            }
            Files.delete(dir);
        } catch (DirectoryNotEmptyException | NoSuchFileException inUse) {
            // it holds containers, or someone else removed it
        } finally {
            Fds.closeQuietly(fd);
        }
    }

    /** An fd on the directory, or -1 if it does not exist. */
    private int open() throws IOException {
        try {
            return LibC.INSTANCE.open(dir.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == LibC.ENOENT) return -1;
            throw new IOException("cannot open " + dir + ": errno " + e.getErrorCode());
        }
    }

    private static boolean isRemoved(int fd) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString().endsWith(" (deleted)");
    }

    /** A held lock; closing releases it. */
    @FunctionalInterface
    interface Hold extends AutoCloseable {
        @Override
        void close();
    }
}
