package dev.hcsshim.shim.sharing;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Whose log the daemon writes into. containerd copies a shim's log from each task's bundle and
 * stops reading a task's log when that task is deleted, so a daemon serving several tasks writes
 * into the log of its oldest live task and moves on when that one is deleted. A daemon of one
 * task never moves: it keeps the log of the task it was started for. It keeps the live tasks'
 * bundles for that, which {@link LifetimeEvents} also marks at delete.
 */
public final class DaemonLog {
    /** Where the platform can point the daemon's log. */
    @FunctionalInterface
    public interface Target {
        /** Points the daemon's log at task {@code id}'s; false when containerd no longer reads that one. */
        boolean pointAt(String id, Path bundle);
    }

    private final Target target;
    /** Live tasks in the order they were created: the oldest first. */
    private final Map<String, Path> live = new LinkedHashMap<>();
    private String owner;

    /** @param startedFor the task whose log the daemon writes into from its start */
    public DaemonLog(String startedFor, Target target) {
        this.owner = startedFor;
        this.target = target;
    }

    public synchronized void taskCreated(String id, Path bundle) {
        live.put(id, bundle);
        follow();
    }

    /** Returns the deleted task's bundle, or null if it was not created here. */
    public synchronized Path taskDeleted(String id) {
        Path bundle = live.remove(id);
        follow();
        return bundle;
    }

    /** The task whose log the daemon writes into now. */
    public synchronized String owner() {
        return owner;
    }

    private void follow() {
        for (Map.Entry<String, Path> task : live.entrySet()) {
            if (task.getKey().equals(owner)) {
                return;
            }
            if (target.pointAt(task.getKey(), task.getValue())) {
                owner = task.getKey();
                return;
            }
        }
        // No live task's log is read: the daemon is about to leave, or idles until its next task.
    }
}
