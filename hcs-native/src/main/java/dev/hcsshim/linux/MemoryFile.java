package dev.hcsshim.linux;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file that exists only in memory ({@code memfd_create(2)}): how a runtime call gets its input
 * and hands back its log and output. A file, not a pipe: the runtime can neither block on it nor
 * hold us up by keeping it open, and it is read once the call is over. Unlike a file on disk it
 * costs no create and no unlink (on the ext4 of a state directory a create is ~0.2-0.6 ms), and
 * nothing of it outlives the call, whatever ends the daemon. A child reaches it as a descriptor
 * it inherits ({@link Spawn#start}'s {@code inherited}), by the path {@link #byDescriptor}; nobody else
 * can open it but through {@code /proc/<pid>/fd}, which needs ptrace rights over the holder.
 */
public final class MemoryFile implements AutoCloseable {
    private final int fd;

    private MemoryFile(int fd) {
        this.fd = fd;
    }

    /** An empty file; {@code name} shows in {@code /proc/<pid>/fd} links ("/memfd:name"). */
    public static MemoryFile create(String name) throws IOException {
        try {
            return new MemoryFile(LibC.INSTANCE.memfd_create(name, LibC.MFD_CLOEXEC));
        } catch (LastErrorException e) {
            throw Fds.io("memfd_create " + name, e);
        }
    }

    /** A file holding {@code content}, positioned at its start (a child reading it as stdin reads all of it). */
    public static MemoryFile of(String name, byte[] content) throws IOException {
        MemoryFile f = create(name);
        try {
            // written through a path of its own: this descriptor's offset, which a child inherits, stays 0
            Files.write(f.path(), content);
            return f;
        } catch (IOException | RuntimeException e) {
            f.close();
            throw e;
        }
    }

    public int fd() {
        return fd;
    }

    /**
     * How a process names its descriptor {@code fd} by path: how a child that got this file as a
     * descriptor is told of it (a {@code --log} flag), and how we read and write it apart from
     * this descriptor's offset.
     */
    public static String byDescriptor(int fd) {
        return "/proc/self/fd/" + fd;
    }

    /** Everything in the file, from its start. */
    public byte[] readAll() throws IOException {
        return Files.readAllBytes(path());
    }

    private Path path() {
        return Path.of(byDescriptor(fd));
    }

    @Override
    public void close() {
        Fds.closeQuietly(fd);
    }
}
