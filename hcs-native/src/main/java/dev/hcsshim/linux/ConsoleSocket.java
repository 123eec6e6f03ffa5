package dev.hcsshim.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A unix socket listener for runc's {@code --console-socket}: runc connects once and sends the
 * pty master fd with SCM_RIGHTS. Create it before runc create/exec, pass {@link #path()}, and
 * call {@link #receiveMaster} after (or while) runc runs. {@link #close()} removes the socket.
 */
public final class ConsoleSocket implements AutoCloseable {
    private static final LibC C = LibC.INSTANCE;
    private static final int SUN_PATH_MAX = 108;

    private final Path dir;
    private final Path path;
    private final int listenFd;
    private boolean closed;

    private ConsoleSocket(Path dir, Path path, int fd) {
        this.dir = dir;
        this.path = path;
        this.listenFd = fd;
    }

    /**
     * Listens on a fresh socket in a new private temp directory under {@code parent} (null: the
     * system temp dir). The path must stay under 108 bytes, so keep {@code parent} short.
     */
    public static ConsoleSocket listen(Path parent) throws IOException {
        Path dir = parent == null ? Files.createTempDirectory("pty") : Files.createTempDirectory(parent, "pty");
        Path path = dir.resolve("c.sock");
        byte[] p = path.toString().getBytes(StandardCharsets.UTF_8);
        if (p.length >= SUN_PATH_MAX) {
            Files.deleteIfExists(dir);
            throw new IOException("console socket path too long: " + path);
        }
        int fd = -1;
        try (Memory addr = new Memory(2 + SUN_PATH_MAX)) {
            addr.clear();
            addr.setShort(0, (short) LibC.AF_UNIX);
            addr.write(2, p, 0, p.length);
            fd = C.socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
            C.bind(fd, addr, 2 + p.length + 1);
            C.listen(fd, 1);
            return new ConsoleSocket(dir, path, fd);
        } catch (LastErrorException e) {
            Fds.closeQuietly(fd);
            Files.deleteIfExists(path);
            Files.deleteIfExists(dir);
            throw Fds.io("console socket " + path, e);
        }
    }

    /** The socket path to give runc as {@code --console-socket}. */
    public Path path() {
        return path;
    }

    /**
     * Accepts runc's connection and returns the received pty master fd (close-on-exec; the
     * caller owns it). Fails after the timeout.
     */
    public int receiveMaster(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int conn = -1;
        try {
            awaitReadable(listenFd, deadline);
            conn = C.accept4(listenFd, null, null, LibC.SOCK_CLOEXEC);
            awaitReadable(conn, deadline);
            try (Memory data = new Memory(4096); Memory iov = new Memory(16);
                 Memory control = new Memory(64); Memory msg = new Memory(56)) {
                iov.setPointer(0, data);
                iov.setLong(8, data.size());
                control.clear();
                msg.clear();
                msg.setPointer(16, iov);
                msg.setLong(24, 1);
                msg.setPointer(32, control);
                msg.setLong(40, control.size());
                C.recvmsg(conn, msg, LibC.MSG_CMSG_CLOEXEC);
                // first cmsghdr: len @0 (size_t), level @8, type @12, data @16
                long cmsgLen = control.getLong(0);
                if (msg.getLong(40) < 20 || cmsgLen < 20 || control.getInt(8) != LibC.SOL_SOCKET
                        || control.getInt(12) != LibC.SCM_RIGHTS) {
                    throw new IOException("console socket: no file descriptor received");
                }
                int nfds = (int) ((cmsgLen - 16) / 4);
                int master = control.getInt(16);
                for (int i = 1; i < nfds; i++) Fds.closeQuietly(control.getInt(16 + 4L * i));
                return master;
            }
        } catch (LastErrorException e) {
            throw Fds.io("console socket receive", e);
        } finally {
            Fds.closeQuietly(conn);
        }
    }

    private static void awaitReadable(int fd, long deadline) throws IOException {
        while (true) {
            long ms = (deadline - System.nanoTime()) / 1_000_000;
            if (ms <= 0) throw new IOException("console socket: timed out waiting for runc");
            short[] rev = Fds.poll(new int[] {fd}, new short[] {LibC.POLLIN}, (int) Math.min(ms, Integer.MAX_VALUE));
            if (rev != null && rev[0] != 0) return;
        }
    }

    /** Sets a terminal's window size (TIOCSWINSZ on the pty master). */
    public static void resize(int ptyMaster, int width, int height) throws IOException {
        try (Memory ws = new Memory(8)) {
            ws.clear();
            ws.setShort(0, (short) height);
            ws.setShort(2, (short) width);
            C.ioctl(ptyMaster, LibC.TIOCSWINSZ, ws);
        } catch (LastErrorException e) {
            throw Fds.io("ioctl(TIOCSWINSZ)", e);
        }
    }

    /** Closes the listener and removes the socket and its directory; idempotent. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) return;
        closed = true;
        Fds.closeQuietly(listenFd);
        Files.deleteIfExists(path);
        Files.deleteIfExists(dir);
    }
}
