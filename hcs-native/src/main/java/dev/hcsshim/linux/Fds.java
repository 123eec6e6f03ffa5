package dev.hcsshim.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.io.IOException;

/** Small helpers over raw file descriptors (pipes, eventfds, poll, O_NONBLOCK). */
public final class Fds {
    private static final LibC C = LibC.INSTANCE;

    private Fds() {}

    /** A pipe: {@code [0]} is the read end, {@code [1]} the write end; both close-on-exec. */
    public static int[] pipe() throws IOException {
        int[] fds = new int[2];
        try {
            C.pipe2(fds, LibC.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw io("pipe2", e);
        }
        return fds;
    }

    /**
     * open(2) with O_CLOEXEC added. For containerd's stdio FIFOs: O_RDWR (or O_NONBLOCK) keeps
     * the open from blocking until the other side shows up.
     */
    public static int open(String path, int flags) throws IOException {
        try {
            return C.open(path, flags | LibC.O_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw Fds.io("open " + path, e);
        }
    }

    /** Creates a FIFO (mode e.g. 0600). */
    public static void mkfifo(String path, int mode) throws IOException {
        try {
            C.mkfifo(path, mode);
        } catch (LastErrorException e) {
            throw Fds.io("mkfifo " + path, e);
        }
    }

    /** Closes fd if it is >= 0; errors are ignored (the fd is gone either way on Linux). */
    public static void closeQuietly(int fd) {
        if (fd < 0) return;
        try {
            C.close(fd);
        } catch (LastErrorException ignored) {
            // EINTR/EIO on close still release the descriptor on Linux
        }
    }

    /** A close-on-exec duplicate of fd, numbered 3 or above. */
    public static int dup(int fd) throws IOException {
        try {
            return C.fcntl(fd, 1030 /* F_DUPFD_CLOEXEC */, 3);
        } catch (LastErrorException e) {
            throw io("dup(" + fd + ")", e);
        }
    }

    public static void setNonBlocking(int fd, boolean on) throws IOException {
        try {
            int fl = C.fcntl(fd, LibC.F_GETFL, 0);
            int want = on ? fl | LibC.O_NONBLOCK : fl & ~LibC.O_NONBLOCK;
            if (want != fl) C.fcntl(fd, LibC.F_SETFL, want);
        } catch (LastErrorException e) {
            throw io("fcntl(" + fd + ")", e);
        }
    }

    /** Whether fd is an open descriptor of this process. */
    public static boolean isOpen(int fd) {
        try {
            C.fcntl(fd, LibC.F_GETFD, 0);
            return true;
        } catch (LastErrorException e) {
            return false;
        }
    }

    /** A non-blocking close-on-exec eventfd, used to wake poll loops. */
    public static int eventfd() throws IOException {
        try {
            return C.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        } catch (LastErrorException e) {
            throw io("eventfd", e);
        }
    }

    /** Adds 1 to an eventfd counter (wakes whoever polls it). */
    public static void signalEventfd(int efd) {
        try (Memory m = new Memory(8)) {
            m.setLong(0, 1);
            C.write(efd, m, 8);
        } catch (LastErrorException ignored) {
            // EAGAIN: counter saturated, it is readable anyway; EBADF: closed, nobody to wake
        }
    }

    /** Resets an eventfd counter. */
    public static void drainEventfd(int efd) {
        try (Memory m = new Memory(8)) {
            C.read(efd, m, 8);
        } catch (LastErrorException ignored) {
            // EAGAIN: nothing pending
        }
    }

    /**
     * Polls the given fds for the given events; returns the revents per fd (0 when not ready), or
     * null on timeout. EINTR is reported as a timeout-free empty round (all zeros).
     */
    public static short[] poll(int[] fds, short[] events, int timeoutMs) throws IOException {
        try (Memory m = new Memory(8L * fds.length)) {
            for (int i = 0; i < fds.length; i++) {
                m.setInt(8L * i, fds[i]);
                m.setShort(8L * i + 4, events[i]);
                m.setShort(8L * i + 6, (short) 0);
            }
            int n;
            try {
                n = C.poll(m, fds.length, timeoutMs);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == LibC.EINTR) return new short[fds.length];
                throw io("poll", e);
            }
            if (n == 0) return null;
            short[] rev = new short[fds.length];
            for (int i = 0; i < fds.length; i++) rev[i] = m.getShort(8L * i + 6);
            return rev;
        }
    }

    /** Count of open fds of this process (for leak checks). */
    public static int openFdCount() {
        String[] names = new java.io.File("/proc/self/fd").list();
        return names == null ? -1 : names.length;
    }

    static IOException io(String what, LastErrorException e) {
        IOException io = io(what, e.getErrorCode());
        io.initCause(e);
        return io;
    }

    static IOException io(String what, int errno) {
        return new IOException(what + " failed: errno " + errno + " (" + strerror(errno) + ")");
    }

    static String strerror(int errno) {
        return switch (errno) {
            case LibC.EPERM -> "EPERM";
            case LibC.ENOENT -> "ENOENT";
            case LibC.ESRCH -> "ESRCH";
            case LibC.EINTR -> "EINTR";
            case LibC.EIO -> "EIO";
            case LibC.EBADF -> "EBADF";
            case LibC.EACCES -> "EACCES";
            case LibC.ECHILD -> "ECHILD";
            case LibC.EAGAIN -> "EAGAIN";
            case LibC.EBUSY -> "EBUSY";
            case LibC.EINVAL -> "EINVAL";
            case LibC.EPIPE -> "EPIPE";
            case LibC.ENOSYS -> "ENOSYS";
            default -> "errno" + errno;
        };
    }
}
