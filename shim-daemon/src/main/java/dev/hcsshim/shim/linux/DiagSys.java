package dev.hcsshim.shim.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.hcsshim.linux.LibC;
import java.io.IOException;

/** The few Linux calls the diag service needs beyond {@link LibC}: ptys and the new mount API. */
final class DiagSys {
    interface Pty extends Library {
        Pty INSTANCE = LibC.loadLibc(Pty.class);

        int posix_openpt(int flags) throws LastErrorException;

        int grantpt(int fd) throws LastErrorException;

        int unlockpt(int fd) throws LastErrorException;

        int ptsname_r(int fd, byte[] buf, long len);
    }

    static final long SYS_OPEN_TREE = 428, SYS_MOVE_MOUNT = 429, SYS_PIDFD_OPEN = 434, SYS_PIDFD_GETFD = 438,
            SYS_MOUNT_SETATTR = 442;
    static final long AT_FDCWD = -100, AT_EMPTY_PATH = 0x1000, OPEN_TREE_CLONE = 1, OPEN_TREE_CLOEXEC = LibC.O_CLOEXEC,
            MOVE_MOUNT_F_EMPTY_PATH = 4, MOUNT_ATTR_RDONLY = 1;

    private DiagSys() {}

    /** A new pty: the master fd (close-on-exec) and the slave's path. */
    record PtyPair(int master, String slave) {}

    static PtyPair openPty() throws IOException {
        int m;
        try {
            m = Pty.INSTANCE.posix_openpt(LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IOException("posix_openpt: errno " + e.getErrorCode(), e);
        }
        try {
            Pty.INSTANCE.grantpt(m);
            Pty.INSTANCE.unlockpt(m);
            byte[] buf = new byte[128];
            int rc = Pty.INSTANCE.ptsname_r(m, buf, buf.length);
            if (rc != 0) {
                throw new IOException("ptsname_r: errno " + rc);
            }
            return new PtyPair(m, Native.toString(buf));
        } catch (LastErrorException | IOException e) {
            LibC.INSTANCE.close(m);
            throw e instanceof IOException io ? io : new IOException("pty setup: errno " + ((LastErrorException) e).getErrorCode(), e);
        }
    }

    /** A detached copy of the mount at {@code hostPath} (bind-mount source), read-only if asked. */
    static int openTreeClone(String hostPath, boolean readOnly) throws IOException {
        int fd;
        try {
            fd = (int) LibC.INSTANCE.syscall(SYS_OPEN_TREE, AT_FDCWD, hostPath, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IOException("open_tree(" + hostPath + "): errno " + e.getErrorCode(), e);
        }
        if (readOnly) {
            try (Memory attr = new Memory(32)) {
                attr.clear();
                attr.setLong(0, MOUNT_ATTR_RDONLY);
                LibC.INSTANCE.syscall(SYS_MOUNT_SETATTR, (long) fd, "", AT_EMPTY_PATH, attr, 32L);
            } catch (LastErrorException e) {
                LibC.INSTANCE.close(fd);
                throw new IOException("mount_setattr(read-only): errno " + e.getErrorCode(), e);
            }
        }
        return fd;
    }
}
