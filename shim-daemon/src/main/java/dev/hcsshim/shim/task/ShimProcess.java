package dev.hcsshim.shim.task;

import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A task's init process or one of its execs, as containerd sees it: a small state machine
 * (created -> running <-> paused -> stopped -> deleted) in which every operation names the states
 * it is allowed from and is refused elsewhere with FailedPrecondition ("cannot X in state Y"),
 * as containerd's runc shim does. The owning {@link ShimTask} serialises transitions.
 */
final class ShimProcess {
    final String taskId;
    /** Empty for the init process. */
    final String execId;
    final StdioSpec stdio;
    /** The OCI process spec (JSON) of an exec; null for the init. */
    final byte[] execSpec;

    private ProcessStatus status = ProcessStatus.CREATED;
    private TaskBackend.Process backend;
    private ExitStatus exit;
    /** Completed once with the exit; every Wait gets the same answer. */
    private final CompletableFuture<ExitStatus> exited = new CompletableFuture<>();

    ShimProcess(String taskId, String execId, StdioSpec stdio, byte[] execSpec) {
        this.taskId = taskId;
        this.execId = execId;
        this.stdio = stdio;
        this.execSpec = execSpec;
    }

    boolean isInit() {
        return execId.isEmpty();
    }

    /** The id containerd uses for this process in events: the exec id, or the task id for the init. */
    String processId() {
        return isInit() ? taskId : execId;
    }

    ProcessStatus status() {
        return status;
    }

    int pid() {
        return backend == null ? 0 : backend.pid();
    }

    ExitStatus exit() {
        return exit;
    }

    CompletableFuture<ExitStatus> exitedFuture() {
        return exited;
    }

    TaskBackend.Process backend() {
        return backend;
    }

    void attach(TaskBackend.Process process) {
        this.backend = process;
    }

    /** Refuses {@code operation} unless the process is in one of {@code allowed}. */
    void require(String operation, Set<ProcessStatus> allowed) {
        if (!allowed.contains(status)) {
            throw Errdefs.failedPrecondition("cannot %s %s in state %s", operation, describe(), status.label());
        }
    }

    void moveTo(ProcessStatus next) {
        status = next;
    }

    /** Records the exit; false if it was already recorded. */
    boolean markExited(ExitStatus status) {
        if (exit != null) {
            return false;
        }
        exit = status;
        this.status = ProcessStatus.STOPPED;
        return true;
    }

    /** Releases the waiters (after TaskExit was queued). */
    void releaseWaiters() {
        exited.complete(exit);
    }

    /** A process that was deleted before it ever ran still answers Wait. */
    void markNeverRan() {
        if (exit == null) {
            exit = new ExitStatus(0, Instant.now());
        }
        status = ProcessStatus.STOPPED;
        exited.complete(exit);
    }

    String describe() {
        return isInit() ? "task " + taskId : "exec " + execId + " of task " + taskId;
    }

    static final Set<ProcessStatus> CREATED_ONLY = EnumSet.of(ProcessStatus.CREATED);
    static final Set<ProcessStatus> LIVE = EnumSet.of(ProcessStatus.RUNNING, ProcessStatus.PAUSED);
    static final Set<ProcessStatus> DELETABLE = EnumSet.of(ProcessStatus.CREATED, ProcessStatus.STOPPED);
}
