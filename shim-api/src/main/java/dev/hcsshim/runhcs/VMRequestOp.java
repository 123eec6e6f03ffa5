package dev.hcsshim.runhcs;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The operations a VM shim accepts, with their wire strings. */
public enum VMRequestOp {
    CREATE_CONTAINER("create"),
    SYNC_NAMESPACE("sync"),
    UNMOUNT_CONTAINER("unmount"),
    UNMOUNT_CONTAINER_DISK_ONLY("unmount-disk");

    private final String wire;

    VMRequestOp(String wire) {
        this.wire = wire;
    }

    @JsonValue
    public String wire() {
        return wire;
    }

    @JsonCreator
    public static VMRequestOp fromWire(String s) {
        for (VMRequestOp op : values()) if (op.wire.equals(s)) return op;
        throw new IllegalArgumentException("unknown VM request op: " + s);
    }
}
