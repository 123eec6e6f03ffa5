package dev.hcsshim.cow;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletionStage;

/** An OS process running in a container, a utility VM or on the host. */
public interface Process extends AutoCloseable {

    /**
     * Releases what this object holds (handles, stdio). Depending on the implementation it may
     * also terminate the process. Idempotent.
     */
    @Override
    void close() throws IOException;

    /** Makes the process read end-of-file on its stdin. Idempotent. */
    void closeStdin() throws IOException;

    /** Tells the host we are done reading stdout. Idempotent. */
    void closeStdout() throws IOException;

    /** Tells the host we are done reading stderr. Idempotent. */
    void closeStderr() throws IOException;

    int pid();

    /** The process's stdin, or null if it was not requested at creation. */
    OutputStream stdin();

    /** The process's stdout, or null if it was not requested at creation. */
    InputStream stdout();

    /** The process's stderr, or null if it was not requested (or a terminal merges it). */
    InputStream stderr();

    void resizeConsole(int width, int height) throws IOException;

    /** Sends SIGKILL or the host's equivalent; true if it was delivered. Does not wait. */
    boolean kill() throws IOException;

    /**
     * Sends a host-specific signal (an LCOW/WCOW signal options document, or a Linux signal
     * number); true if it was delivered. Does not wait.
     */
    boolean signal(Object options) throws IOException;

    /**
     * Waits for the process to exit, or for the connection to it to fail (including
     * {@link #close()}); the failure is rethrown.
     */
    void waitFor() throws IOException, InterruptedException;

    /** Completes when {@link #waitFor()} would return; exceptionally when it would throw. */
    CompletionStage<Void> exited();

    /** The exit code; fails if the process has not exited. */
    int exitCode() throws IOException;
}
