package dev.hcsshim.hcs;

import java.util.IdentityHashMap;
import java.util.Set;
import java.util.Collections;

/** HCS's sentinel errors and the predicates that classify any error chain against them. */
public final class Hcs {
    private Hcs() {}

    public static final Errno ERR_COMPUTE_SYSTEM_DOES_NOT_EXIST = new Errno(0xc037010eL);
    public static final Errno ERR_ELEMENT_NOT_FOUND = new Errno(0x490);
    public static final Errno ERR_NOT_SUPPORTED = new Errno(0x32);
    /** 0x8007000d arrives as this after {@link #win32FromHresult}. */
    public static final Errno ERR_INVALID_DATA = new Errno(0xd);
    public static final Sentinel ERR_HANDLE_CLOSE =
            new Sentinel("hcsshim: the handle generating this notification has been closed");
    public static final Sentinel ERR_ALREADY_CLOSED = new Sentinel("hcsshim: the handle has already been closed");
    public static final Sentinel ERR_INVALID_NOTIFICATION_TYPE = new Sentinel("hcsshim: invalid notification type");
    public static final Sentinel ERR_INVALID_PROCESS_STATE =
            new Sentinel("the process is in an invalid state for the attempted operation");
    public static final Sentinel ERR_TIMEOUT = new Sentinel("hcsshim: timeout waiting for notification");
    public static final Sentinel ERR_UNEXPECTED_CONTAINER_EXIT = new Sentinel("unexpected container exit");
    public static final Sentinel ERR_UNEXPECTED_PROCESS_ABORT = new Sentinel("lost communication with compute service");
    public static final Sentinel ERR_UNEXPECTED_VALUE = new Sentinel("unexpected value returned from hcs");
    public static final Errno ERR_VMCOMPUTE_ALREADY_STOPPED = new Errno(0xc0370110L);
    public static final Errno ERR_VMCOMPUTE_OPERATION_PENDING = new Errno(0xc0370103L);
    public static final Errno ERR_VMCOMPUTE_OPERATION_INVALID_STATE = new Errno(0xc0370105L);
    public static final Errno ERR_PROC_NOT_FOUND = new Errno(0x7f);
    public static final Errno ERR_VMCOMPUTE_OPERATION_ACCESS_IS_DENIED = new Errno(0x5);
    public static final Errno ERR_VMCOMPUTE_INVALID_JSON = new Errno(0xc037010dL);
    public static final Errno ERR_VMCOMPUTE_UNKNOWN_MESSAGE = new Errno(0xc037010bL);
    public static final Errno ERR_VMCOMPUTE_UNEXPECTED_EXIT = new Errno(0xc0370106L);
    public static final Sentinel ERR_PLATFORM_NOT_SUPPORTED = new Sentinel("unsupported platform request");
    /** Newer HCS answers a kill of a stopped process with this. */
    public static final Errno ERR_PROCESS_ALREADY_STOPPED = new Errno(0x8037011fL);
    public static final Errno ERR_INVALID_HANDLE = new Errno(0x6);

    /**
     * Maps an HRESULT to the error hcsshim compares against: FACILITY_WIN32 HRESULTs
     * (0x8007xxxx) become the bare Win32 code, anything else keeps its value.
     */
    public static Errno win32FromHresult(int hr) {
        long u = hr & 0xffffffffL;
        if ((u & 0x1fff0000L) == 0x00070000L) return new Errno(u & 0xffff);
        return new Errno(u);
    }

    /** True when the container or process does not exist (or, for processes, already exited). */
    public static boolean isNotExist(Throwable err) {
        return inChain(err, ERR_COMPUTE_SYSTEM_DOES_NOT_EXIST, ERR_ELEMENT_NOT_FOUND, ERR_PROC_NOT_FOUND);
    }

    public static boolean isAlreadyClosed(Throwable err) {
        return inChain(err, ERR_ALREADY_CLOSED);
    }

    public static boolean isPending(Throwable err) {
        return inChain(err, ERR_VMCOMPUTE_OPERATION_PENDING);
    }

    /** ErrTimeout anywhere in the chain, or the first net-style error in it reports a timeout. */
    public static boolean isTimeout(Throwable err) {
        if (inChain(err, ERR_TIMEOUT)) return true;
        for (Throwable t : chain(err)) {
            if (t instanceof NetError n) return n.timeout();
        }
        return false;
    }

    /** ErrElementNotFound and ErrProcNotFound also count: a process may simply have exited. */
    public static boolean isAlreadyStopped(Throwable err) {
        return inChain(err, ERR_VMCOMPUTE_ALREADY_STOPPED, ERR_PROCESS_ALREADY_STOPPED,
                ERR_ELEMENT_NOT_FOUND, ERR_PROC_NOT_FOUND);
    }

    public static boolean isNotSupported(Throwable err) {
        return inChain(err, ERR_VMCOMPUTE_INVALID_JSON, ERR_INVALID_DATA, ERR_NOT_SUPPORTED,
                ERR_VMCOMPUTE_UNKNOWN_MESSAGE, ERR_PLATFORM_NOT_SUPPORTED);
    }

    public static boolean isOperationInvalidState(Throwable err) {
        return inChain(err, ERR_VMCOMPUTE_OPERATION_INVALID_STATE);
    }

    public static boolean isAccessIsDenied(Throwable err) {
        return inChain(err, ERR_VMCOMPUTE_OPERATION_ACCESS_IS_DENIED);
    }

    public static boolean isErrorInvalidHandle(Throwable err) {
        return inChain(err, ERR_INVALID_HANDLE);
    }

    private static boolean inChain(Throwable err, Throwable... targets) {
        for (Throwable t : chain(err)) {
            for (Throwable target : targets) {
                if (t == target || (t instanceof Errno && t.equals(target))) return true;
            }
        }
        return false;
    }

    /** The cause chain, cycle safe. */
    private static Iterable<Throwable> chain(Throwable err) {
        java.util.List<Throwable> out = new java.util.ArrayList<>();
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable t = err; t != null && seen.add(t); t = t.getCause()) out.add(t);
        return out;
    }
}
