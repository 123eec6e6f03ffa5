package dev.hcsshim.shim.task;

import java.time.Instant;

/** How a process ended: its status in shell convention (128+signal when killed) and when. */
public record ExitStatus(int status, Instant exitedAt) {
    /** What containerd reports for a process whose exit could not be observed (SIGKILL). */
    public static final int UNKNOWN_STATUS = 128 + 9;

    public com.google.protobuf.Timestamp exitedAtProto() {
        return com.google.protobuf.Timestamp.newBuilder()
                .setSeconds(exitedAt.getEpochSecond())
                .setNanos(exitedAt.getNano())
                .build();
    }
}
