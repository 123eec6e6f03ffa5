package dev.hcsshim.linux;

import java.io.IOException;

/**
 * The pipes between a container process and the shim. For each requested stream there is a
 * pipe: the <i>container end</i> goes to runc (and so to the container) and the <i>shim end</i>
 * stays here for the relays.
 *
 * <p>Ownership: after runc create/exec returned, call {@link #closeContainerEnds()}, or the shim
 * keeps a writer of stdout/stderr open and the relays never see end-of-file. The shim ends are
 * closed by {@link #close()} (after the relays finished).
 */
public final class StdioPipes implements AutoCloseable {
    private int stdinContainer = -1, stdinShim = -1;
    private int stdoutContainer = -1, stdoutShim = -1;
    private int stderrContainer = -1, stderrShim = -1;

    /** Creates the requested pipes. */
    public StdioPipes(boolean stdin, boolean stdout, boolean stderr) throws IOException {
        try {
            if (stdin) {
                int[] p = Fds.pipe();
                stdinContainer = p[0];
                stdinShim = p[1];
            }
            if (stdout) {
                int[] p = Fds.pipe();
                stdoutShim = p[0];
                stdoutContainer = p[1];
            }
            if (stderr) {
                int[] p = Fds.pipe();
                stderrShim = p[0];
                stderrContainer = p[1];
            }
        } catch (IOException e) {
            close();
            closeContainerEnds();
            throw e;
        }
    }

    /** The container ends, for {@link OciRuntime#create}/{@link OciRuntime#exec}. */
    public OciRuntime.Stdio containerStdio() {
        return new OciRuntime.Stdio(stdinContainer, stdoutContainer, stderrContainer);
    }

    /** Write end of the container's stdin (-1 if none); closing it gives the process EOF. */
    public int stdinFd() {
        return stdinShim;
    }

    /** Read end of the container's stdout (-1 if none). */
    public int stdoutFd() {
        return stdoutShim;
    }

    /** Read end of the container's stderr (-1 if none). */
    public int stderrFd() {
        return stderrShim;
    }

    /** Closes our copies of the container ends; idempotent. */
    public synchronized void closeContainerEnds() {
        Fds.closeQuietly(stdinContainer);
        Fds.closeQuietly(stdoutContainer);
        Fds.closeQuietly(stderrContainer);
        stdinContainer = stdoutContainer = stderrContainer = -1;
    }

    /** Closes the stdin write end (the process reads EOF); idempotent. */
    public synchronized void closeStdin() {
        Fds.closeQuietly(stdinShim);
        stdinShim = -1;
    }

    public synchronized void closeStdout() {
        Fds.closeQuietly(stdoutShim);
        stdoutShim = -1;
    }

    public synchronized void closeStderr() {
        Fds.closeQuietly(stderrShim);
        stderrShim = -1;
    }

    /** Closes every fd still open (both ends); idempotent. */
    @Override
    public synchronized void close() {
        closeContainerEnds();
        closeStdin();
        closeStdout();
        closeStderr();
    }
}
