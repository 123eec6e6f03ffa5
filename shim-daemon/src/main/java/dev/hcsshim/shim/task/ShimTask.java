package dev.hcsshim.shim.task;

import dev.hcsshim.proto.events.TaskExit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One container: its init process, its execs and the backend's compute system. Its monitor
 * orders everything that changes state or publishes, so a process's events always go out in
 * containerd's order (create, start, exit, delete) even when an exit races an RPC.
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

    synchronized Collection<ShimProcess> liveExecs() {
        return execs.values().stream().filter(p -> ShimProcess.LIVE.contains(p.status())).toList();
    }

    /**
     * Hooks up exit reporting for a started (or created) process: when the backend reports the
     * exit (output already drained), record it, publish TaskExit and release every waiter.
     */
    void watchExit(ShimProcess p) {
        p.backend().exited().whenComplete((exit, error) -> {
            ExitStatus status = exit;
            if (error != null) {
                log.warn("lost track of {}: {}", p.describe(), error.toString());
                status = new ExitStatus(ExitStatus.UNKNOWN_STATUS, java.time.Instant.now());
            }
            synchronized (this) {
                if (!p.markExited(status)) {
                    return;
                }
                log.debug("{} exited with {}", p.describe(), status.status());
                events.publish("/tasks/exit", TaskExit.newBuilder()
                        .setContainerId(id)
                        .setId(p.processId())
                        .setPid(p.pid())
                        .setExitStatus(status.status())
                        .setExitedAt(status.exitedAtProto())
                        .build());
            }
            p.releaseWaiters();
        });
    }
}
