package dev.hcsshim.hcsoci;

import java.io.InputStream;
import java.io.OutputStream;

/** The stdio containerd handed the shim for one process; any of it may be absent (null). */
public interface UpstreamIO extends AutoCloseable {

    /** Closes everything still open. Idempotent. */
    @Override
    void close();

    /** Closes just stdin, if open. Idempotent. */
    void closeStdin();

    InputStream stdin();

    String stdinPath();

    OutputStream stdout();

    String stdoutPath();

    /** Always null when {@link #terminal()}. */
    OutputStream stderr();

    /** Always "" when {@link #terminal()}. */
    String stderrPath();

    boolean terminal();

    /** Opens upstream IO from the paths containerd gave (named pipes on Windows, FIFOs on Linux). */
    @FunctionalInterface
    interface Opener {
        UpstreamIO open(String stdin, String stdout, String stderr, boolean terminal) throws java.io.IOException;
    }
}
