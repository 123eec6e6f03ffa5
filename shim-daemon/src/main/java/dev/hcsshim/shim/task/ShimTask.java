package dev.hcsshim.shim.task;

import dev.hcsshim.process.ExitStatus;
import dev.hcsshim.proto.events.TaskExit;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One container: its init process, its execs and the backend's compute system. Its monitor
 * orders everything that changes state or publishes, so a process's events always go out in
 * containerd's order (create, start, exit, delete; exec-added, exec-started, exit) even when an
 * exit races an RPC. The monitor is only ever held for bookkeeping, never across a runtime call:
 * those run in {@link #transition}.
 */
final class ShimTask {
    private static final Logger log = LoggerFactory.getLogger(ShimTask.class);

    final String id;
    final String bundle;
    final ShimProcess init;
    private final TaskBackend.Task backend;
    private final Map<String, ShimProcess> execs = new LinkedHashMap<>();
    private final EventSink events;

    ShimTask(String id, String bundle, ShimProcess init, TaskBackend.Task backend, EventSink events) {
        this.id = id;
        this.bundle = bundle;
        this.init = init;
        this.backend = backend;
        this.events = events;
    }

    TaskBackend.Task backend() {
        return backend;
    }

    /** The init process (empty exec id) or the named exec; NotFound if there is none. */
    synchronized ShimProcess process(String execId) {
        if (execId == null || execId.isEmpty()) {
            return init;
        }
        ShimProcess p = execs.get(execId);
        if (p == null) {
            throw Errdefs.notFound("exec %s not found in task %s", execId, id);
        }
        return p;
    }

    synchronized void addExec(ShimProcess exec) {
        if (execs.containsKey(exec.execId)) {
            throw Errdefs.alreadyExists("exec %s already exists in task %s", exec.execId, id);
        }
        init.require("exec in", ShimProcess.LIVE);
        execs.put(exec.execId, exec);
    }

    synchronized void removeExec(ShimProcess exec) {
        execs.remove(exec.execId);
    }

    synchronized List<ShimProcess> execs() {
        return new ArrayList<>(execs.values());
    }

    synchronized List<ShimProcess> liveExecs() {
        return execs.values().stream().filter(p -> ShimProcess.LIVE.contains(p.status())).toList();
    }

    /** Refuses to delete the task while one of its execs is being started or stopped. */
    synchronized void requireNoExecUnderWay() {
        for (ShimProcess exec : execs.values()) {
            if (exec.inTransition()) {
                throw Errdefs.failedPrecondition("cannot delete task %s while %s is changing state", id, exec.describe());
            }
        }
    }

    /** A runtime call of a transition. */
    @FunctionalInterface
    interface RuntimeCall<T> {
        T call() throws IOException;
    }

    /**
     * Runs one transition of {@code p}: checks {@code precondition} and the allowed states and
     * marks the transition begun under the monitor, makes the runtime call without it (so State,
     * Kill and Wait of this and every other task go on meanwhile), then, under the monitor again,
     * applies {@code commit} to the call's result (publishing its event) and publishes an exit that
     * arrived in between. A failed call commits nothing; its held exit is still published.
     */
    <T> T transition(ShimProcess p, String operation, Set<ProcessStatus> allowed, Runnable precondition,
            RuntimeCall<T> call, Consumer<T> commit) throws IOException {
        synchronized (this) {
            precondition.run();
            p.begin(operation, allowed);
        }
        T result = null;
        boolean done = false;
        try {
            result = call.call();
            done = true;
        } finally {
            boolean exitPublished;
            synchronized (this) {
                try {
                    if (done) {
                        commit.accept(result);
                    }
                } finally {
                    ExitStatus held = p.end();
                    exitPublished = held != null && recordExit(p, held);
                }
            }
            if (exitPublished) {
                p.releaseWaiters();
            }
        }
        return result;
    }

    /**
     * Hooks up exit reporting for a created or started process: when the backend reports the
     * exit (output already drained), record it, publish TaskExit and release every waiter; during
     * a transition, the exit waits for its commit.
     */
    void watchExit(ShimProcess p) {
        p.backend().exited().whenComplete((exit, error) -> {
            ExitStatus status = exit;
            if (error != null) {
                log.warn("lost track of {}: {}", p.describe(), error.toString());
                status = ExitStatus.unknown(Instant.now());
            }
            synchronized (this) {
                if (p.inTransition()) {
                    p.holdExit(status);
                    return;
                }
                if (!recordExit(p, status)) {
                    return;
                }
            }
            p.releaseWaiters();
        });
    }

    /** Records an exit and publishes TaskExit, unless one was recorded already. Under the monitor. */
    private boolean recordExit(ShimProcess p, ExitStatus status) {
        if (!p.markExited(status)) {
            return false;
        }
        log.debug("{} exited with {}", p.describe(), status.status());
        events.publish("/tasks/exit", TaskExit.newBuilder()
                .setContainerId(id)
                .setId(p.processId())
                .setPid(p.pid())
                .setExitStatus(status.status())
                .setExitedAt(TaskService.timestamp(status.exitedAt()))
                .build());
        return true;
    }
}
