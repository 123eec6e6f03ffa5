package dev.hcsshim.shim.task;

import dev.hcsshim.process.ExitStatus;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A task's init process or one of its execs, as containerd sees it: a small state machine
 * (created -> running <-> paused -> stopped -> deleted) in which every operation names the states
 * it is allowed from and is refused elsewhere with FailedPrecondition ("cannot X in state Y"),
 * as containerd's runc shim does.
 *
 * <p>An operation that needs the runtime (start, pause, delete...) is a transition: it is begun
 * under the owning {@link ShimTask}'s lock, runs the runtime call without it, and is committed
 * under it again. While one is under way no other may begin, and an exit that arrives is held
 * back until the commit, so its TaskExit follows what the transition published. Every method
 * here is called with the task's lock held.
 */
final class ShimProcess {
    final String taskId;
    /** Empty for the init process. */
    final String execId;
    /** The stdio containerd asked for (State reports it as given). */
    final StdioSpec stdio;
    /** The OCI process spec (JSON) of an exec; null for the init. */
    final byte[] execSpec;

    private ProcessStatus status = ProcessStatus.CREATED;
    private TaskBackend.Process backend;
    private ExitStatus exit;
    /** The transition under way, or null. */
    private String underWay;
    /** An exit that arrived during a transition, published when it commits. */
    private ExitStatus heldExit;
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

    /** Begins a transition: refused outside {@code allowed} and while another one is under way. */
    void begin(String operation, Set<ProcessStatus> allowed) {
        require(operation, allowed);
        if (underWay != null) {
            throw Errdefs.failedPrecondition("cannot %s %s while %s is under way", operation, describe(), underWay);
        }
        underWay = operation;
    }

    boolean inTransition() {
        return underWay != null;
    }

    /** Ends the transition; returns the exit held back during it, if any. */
    ExitStatus end() {
        underWay = null;
        ExitStatus held = heldExit;
        heldExit = null;
        return held;
    }

    void holdExit(ExitStatus status) {
        heldExit = status;
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
            exit = ExitStatus.exited(0, Instant.now());
        }
        status = ProcessStatus.STOPPED;
        exited.complete(exit);
    }

    String describe() {
        return isInit() ? "task " + taskId : "exec " + execId + " of task " + taskId;
    }

    static final Set<ProcessStatus> CREATED_ONLY = EnumSet.of(ProcessStatus.CREATED);
    static final Set<ProcessStatus> RUNNING_ONLY = EnumSet.of(ProcessStatus.RUNNING);
    static final Set<ProcessStatus> PAUSED_ONLY = EnumSet.of(ProcessStatus.PAUSED);
    static final Set<ProcessStatus> LIVE = EnumSet.of(ProcessStatus.RUNNING, ProcessStatus.PAUSED);
    static final Set<ProcessStatus> DELETABLE = EnumSet.of(ProcessStatus.CREATED, ProcessStatus.STOPPED);
}
