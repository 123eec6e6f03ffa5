package dev.hcsshim.transport;

import java.io.IOException;
import java.net.BindException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Predicate;

/** Filesystem side of a listening unix socket: protected directory, stale-file cleanup, mode. */
public final class UnixSockets {
    private UnixSockets() {}

    /**
     * Where shim daemons put their sockets (and console sockets): {@link PipeAddress#DEFAULT_SOCKET_DIR},
     * or {@code -Dhcsshim.socket.dir} (tests, private containerds).
     */
    public static Path shimSocketDir() {
        String dir = System.getProperty("hcsshim.socket.dir");
        return dir != null && !dir.isEmpty() ? Path.of(dir) : PipeAddress.DEFAULT_SOCKET_DIR;
    }

    /** Who may reach the socket through the filesystem. */
    public enum Access {
        /** Directory 0700, socket 0600: the daemon's user only (production). */
        OWNER_ONLY,
        /** Directory 0777, socket 0666: tests that prove the SO_PEERCRED check on its own. */
        WORLD_FOR_TESTS
    }

    /**
     * Makes {@code socket} bindable: creates its directory with the access mode, refuses if a
     * live server answers there, removes a stale socket file.
     */
    public static void prepare(Path socket, Access access) throws IOException {
        prepare(socket, access, UnixSockets::isLive);
    }

    /** {@link #prepare(Path, Access)}, asking whether a server answers with {@code live}. */
    public static void prepare(Path socket, Access access, Predicate<Path> live) throws IOException {
        Path dir = socket.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        int uid = currentUid();
        if (!Integer.valueOf(uid).equals(Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS))) {
            Files.setAttribute(dir, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS); // the daemon's user owns it
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(
                access == Access.OWNER_ONLY ? "rwx------" : "rwxrwxrwx"));
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) return;
        if (live.test(socket)) {
            throw new BindException("address already in use: a server is listening on " + socket);
        }
        if (!Files.isRegularFile(socket, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(socket, LinkOption.NOFOLLOW_LINKS)) {
            Files.deleteIfExists(socket); // stale socket: nobody accepts there any more
        } else {
            throw new IOException("refusing to replace non-socket file " + socket);
        }
    }

    /**
     * This process's effective uid (the owner of /proc/self). Here rather than on the guard: the
     * shim's {@code start} prepares sockets too, and the guard's class brings logging up.
     */
    public static int currentUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read this process's uid from /proc/self", e);
        }
    }

    /** Sets the socket file mode after bind. */
    public static void finish(Path socket, Access access) throws IOException {
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString(
                access == Access.OWNER_ONLY ? "rw-------" : "rw-rw-rw-"));
    }

    /** The identity (device and inode) of the socket file now at {@code socket}; null if there is none. */
    public static Object identity(Path socket) {
        try {
            return Files.readAttributes(socket, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Removes {@code socket} if it is still the file whose {@link #identity} was taken: a daemon
     * that unlinked its socket to leave must not remove its successor's, bound at the same path.
     */
    public static void removeIfSame(Path socket, Object identity) {
        if (identity == null || !identity.equals(identity(socket))) {
            return;
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException ignored) {
            // best effort: a stale socket is replaced on the next bind anyway
        }
    }

    /**
     * True when something accepts connections on {@code socket}. Without a file there is nothing
     * to ask: the JDK's first unix-domain channel in a process seeds a SecureRandom (~1 ms), and
     * {@code delete}, on containerd's path after every task, mostly finds the socket gone.
     */
    public static boolean isLive(Path socket) {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
