package dev.hcsshim.process;

import java.time.Instant;

/**
 * How a process ended, on every platform and at every layer (the exit watcher, the OCI and HCS
 * backends, the task service): the status containerd reports, in shell convention (the exit
 * code, or 128 + signal when a signal ended the process), and when the shim saw it.
 *
 * @param status     the exit code, or 128 + signal when killed by a signal
 * @param signal     the terminating signal, or 0 when the process exited by itself
 * @param coreDumped whether a core was dumped
 * @param exitedAt   when the shim observed the exit
 */
public record ExitStatus(int status, int signal, boolean coreDumped, Instant exitedAt) {
    /** What containerd reports for a process whose exit could not be observed: as if SIGKILLed. */
    public static final int UNKNOWN_STATUS = 128 + 9;

    /** A process that returned {@code code} by itself. */
    public static ExitStatus exited(int code, Instant at) {
        return new ExitStatus(code, 0, false, at);
    }

    /** A process that a signal ended. */
    public static ExitStatus killed(int signal, boolean coreDumped, Instant at) {
        return new ExitStatus(128 + signal, signal, coreDumped, at);
    }

    /** A process whose end was not observed (the watcher lost it, or the shim was not there). */
    public static ExitStatus unknown(Instant at) {
        return new ExitStatus(UNKNOWN_STATUS, 0, false, at);
    }

    public boolean signaled() {
        return signal != 0;
    }
}
