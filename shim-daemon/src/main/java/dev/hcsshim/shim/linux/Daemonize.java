package dev.hcsshim.shim.linux;

import com.sun.jna.LastErrorException;
import dev.hcsshim.linux.LibC;
import java.nio.file.Path;

/** Turning the freshly started {@code serve} process into a detached daemon (Linux). */
final class Daemonize {
    private static final LibC C = LibC.INSTANCE;

    private Daemonize() {}

    /**
     * Own session (containerd's process group and terminal are not ours), child subreaper (the
     * containers' processes are reparented to us so we can reap them), stdin from /dev/null and
     * stderr into the bundle's {@code log} FIFO, which containerd copies into its own log.
     */
    static void detach(Path logFifo) {
        try {
            C.setsid();
        } catch (LastErrorException e) {
            // Already a session leader: nothing to do.
        }
        C.prctl(LibC.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        int devNull = C.open("/dev/null", LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        C.dup2(devNull, 0);
        if (!logInto(logFifo)) {
            C.dup2(devNull, 2);
        }
        C.close(devNull);
    }

    /**
     * Points stderr at {@code logFifo}; false (stderr unchanged) when nobody reads it. dup2 swaps
     * the file under fd 2 at once, so a log line being written goes whole to one FIFO or the other.
     */
    static boolean logInto(Path logFifo) {
        int fd;
        try {
            // Non-blocking open fails at once if nobody reads the FIFO (no containerd, or it let go).
            fd = C.open(logFifo.toString(), LibC.O_WRONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
        } catch (LastErrorException e) {
            return false;
        }
        try {
            C.fcntl(fd, LibC.F_SETFL, LibC.O_WRONLY);
            C.dup2(fd, 2);
            return true;
        } catch (LastErrorException e) {
            return false;
        } finally {
            C.close(fd);
        }
    }

    /** After the readiness line: our stdout pipe to {@code start} is let go. */
    static void releaseStdout() {
        System.out.flush();
        int devNull = C.open("/dev/null", LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        C.dup2(devNull, 1);
        C.close(devNull);
    }
}
