package dev.hcsshim.shim.task;

/** Where a task's init process or an exec is in its life (containerd's task Status, less PAUSING). */
public enum ProcessStatus {
    CREATED,
    RUNNING,
    PAUSED,
    STOPPED,
    DELETED;

    public dev.hcsshim.proto.types.task.Status toProto() {
        return switch (this) {
            case CREATED -> dev.hcsshim.proto.types.task.Status.CREATED;
            case RUNNING -> dev.hcsshim.proto.types.task.Status.RUNNING;
            case PAUSED -> dev.hcsshim.proto.types.task.Status.PAUSED;
            case STOPPED, DELETED -> dev.hcsshim.proto.types.task.Status.STOPPED;
        };
    }

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
