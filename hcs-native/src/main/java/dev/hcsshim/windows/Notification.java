package dev.hcsshim.windows;

/** HCS notification types (hcsNotification). */
final class Notification {
    private Notification() {}

    static final int INVALID = 0x00000000;
    static final int SYSTEM_EXITED = 0x00000001;
    static final int SYSTEM_CREATE_COMPLETED = 0x00000002;
    static final int SYSTEM_START_COMPLETED = 0x00000003;
    static final int SYSTEM_PAUSE_COMPLETED = 0x00000004;
    static final int SYSTEM_RESUME_COMPLETED = 0x00000005;
    static final int SYSTEM_CRASH_REPORT = 0x00000006;
    static final int SYSTEM_SILO_JOB_CREATED = 0x00000007;
    static final int SYSTEM_SAVE_COMPLETED = 0x00000008;
    static final int SYSTEM_RDP_ENHANCED_MODE_STATE_CHANGED = 0x00000009;
    static final int SYSTEM_SHUTDOWN_FAILED = 0x0000000A;
    static final int SYSTEM_GET_PROPERTIES_COMPLETED = 0x0000000B;
    static final int SYSTEM_MODIFY_COMPLETED = 0x0000000C;
    static final int SYSTEM_CRASH_INITIATED = 0x0000000D;
    static final int SYSTEM_GUEST_CONNECTION_CLOSED = 0x0000000E;
    static final int PROCESS_EXITED = 0x00010000;
    static final int SERVICE_DISCONNECT = 0x01000000;
}
