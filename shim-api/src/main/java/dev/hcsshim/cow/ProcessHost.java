package dev.hcsshim.cow;

import java.io.IOException;

/** Something that can create processes: a container, a utility VM, or the host itself. */
public interface ProcessHost {

    /**
     * Creates (and starts) a process. The configuration is host specific: HCS process parameters
     * for a non-OCI host, an OCI process spec for an OCI host ({@link #isOci()}).
     */
    Process createProcess(Object config) throws IOException;

    /** The host's operating system, {@code "linux"} or {@code "windows"}. */
    String os();

    /** Whether {@link #createProcess} takes an OCI process spec rather than HCS parameters. */
    boolean isOci();
}
