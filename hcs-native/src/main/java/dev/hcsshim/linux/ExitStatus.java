package dev.hcsshim.linux;

import java.time.Instant;

/**
 * How a process ended.
 *
 * @param pid        the process id (already reaped: it may be reused)
 * @param status     shell convention: the exit code, or 128 + signal when killed by a signal
 * @param signal     the terminating signal, or 0 when the process exited
 * @param coreDumped whether a core was dumped
 * @param exitedAt   when the shim observed the exit
 */
public record ExitStatus(int pid, int status, int signal, boolean coreDumped, Instant exitedAt) {

    public boolean signaled() {
        return signal != 0;
    }

    /** Builds the status from waitid's si_code/si_status. */
    static ExitStatus fromSiginfo(int pid, int siCode, int siStatus) {
        return switch (siCode) {
            case LibC.CLD_EXITED -> new ExitStatus(pid, siStatus & 0xff, 0, false, Instant.now());
            case LibC.CLD_KILLED -> new ExitStatus(pid, 128 + siStatus, siStatus, false, Instant.now());
            case LibC.CLD_DUMPED -> new ExitStatus(pid, 128 + siStatus, siStatus, true, Instant.now());
            default -> new ExitStatus(pid, 255, 0, false, Instant.now()); // not a termination
        };
    }
}
