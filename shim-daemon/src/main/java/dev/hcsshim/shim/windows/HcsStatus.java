package dev.hcsshim.shim.windows;

import dev.hcsshim.hcs.Hcs;
import dev.hcsshim.hcs.HcsError;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;

/** HCS errors as containerd's error classes, so ctr and CRI act on them as they do for hcsshim. */
final class HcsStatus {
    private HcsStatus() {}

    static StatusRuntimeException of(String what, IOException e) {
        Status s;
        if (Hcs.isNotExist(e)) {
            s = Status.NOT_FOUND;
        } else if (Hcs.isAlreadyStopped(e)) {
            s = Status.NOT_FOUND; // containerd's "process already finished"
        } else if (Hcs.isOperationInvalidState(e) || Hcs.isAlreadyClosed(e)) {
            s = Status.FAILED_PRECONDITION;
        } else if (Hcs.isAccessIsDenied(e)) {
            s = Status.PERMISSION_DENIED;
        } else if (Hcs.isTimeout(e)) {
            s = Status.DEADLINE_EXCEEDED;
        } else if (isInvalidDocument(e)) {
            s = Status.INVALID_ARGUMENT; // before isNotSupported, which counts a bad document too
        } else if (Hcs.isNotSupported(e)) {
            s = Status.UNIMPLEMENTED;
        } else {
            s = Status.UNKNOWN;
        }
        // The HcsError message already lists HCS's ErrorEvents: the user sees why.
        return s.withDescription(what + ": " + e.getMessage()).withCause(e).asRuntimeException();
    }

    private static boolean isInvalidDocument(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            Throwable err = t instanceof HcsError he ? he.err() : t;
            if (Hcs.ERR_VMCOMPUTE_INVALID_JSON.equals(err) || Hcs.ERR_INVALID_DATA.equals(err)) return true;
            if (t.getCause() == t) break;
        }
        return false;
    }
}
