package dev.hcsshim.shim.task;

import java.util.List;

/** A read-only snapshot of a task for diagnostics (shimdiag tasks). */
public record TaskView(String id, String bundle, int pid, ProcessStatus status, List<ExecView> execs) {
    public record ExecView(String id, int pid, ProcessStatus status) {}
}
