package dev.hcsshim.windows;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.PointerByReference;

/**
 * vmcompute.dll. Handles are opaque pointers, PCWSTR are {@link Utf16} buffers, every
 * {@code result}/{@code properties} out-parameter is a CoTaskMem UTF-16 string the caller frees
 * (see {@link HcsCalls}).
 */
interface Vmcompute extends Library {

    /** HCS_NOTIFICATION_CALLBACK: (notificationType, context, notificationStatus, notificationData). */
    interface NotificationCallback extends Callback {
        void invoke(int type, Pointer context, int status, Pointer data);
    }

    /** HCS_PROCESS_INFORMATION. */
    @Structure.FieldOrder({"ProcessId", "Reserved", "StdInput", "StdOutput", "StdError"})
    class ProcessInformation extends Structure {
        public int ProcessId;
        public int Reserved;
        public Pointer StdInput;
        public Pointer StdOutput;
        public Pointer StdError;
    }

    int HcsEnumerateComputeSystems(Pointer query, PointerByReference computeSystems, PointerByReference result);

    int HcsCreateComputeSystem(Pointer id, Pointer configuration, Pointer identity, PointerByReference computeSystem,
            PointerByReference result);

    int HcsOpenComputeSystem(Pointer id, PointerByReference computeSystem, PointerByReference result);

    int HcsCloseComputeSystem(Pointer computeSystem);

    int HcsStartComputeSystem(Pointer computeSystem, Pointer options, PointerByReference result);

    int HcsShutdownComputeSystem(Pointer computeSystem, Pointer options, PointerByReference result);

    int HcsTerminateComputeSystem(Pointer computeSystem, Pointer options, PointerByReference result);

    int HcsPauseComputeSystem(Pointer computeSystem, Pointer options, PointerByReference result);

    int HcsResumeComputeSystem(Pointer computeSystem, Pointer options, PointerByReference result);

    int HcsSaveComputeSystem(Pointer computeSystem, Pointer options, PointerByReference result);

    int HcsGetComputeSystemProperties(Pointer computeSystem, Pointer propertyQuery, PointerByReference properties,
            PointerByReference result);

    int HcsModifyComputeSystem(Pointer computeSystem, Pointer configuration, PointerByReference result);

    int HcsModifyServiceSettings(Pointer settings, PointerByReference result);

    int HcsGetServiceProperties(Pointer propertyQuery, PointerByReference properties, PointerByReference result);

    int HcsRegisterComputeSystemCallback(Pointer computeSystem, NotificationCallback callback, Pointer context,
            PointerByReference callbackHandle);

    int HcsUnregisterComputeSystemCallback(Pointer callbackHandle);

    int HcsCreateProcess(Pointer computeSystem, Pointer processParameters, ProcessInformation processInformation,
            PointerByReference process, PointerByReference result);

    int HcsOpenProcess(Pointer computeSystem, int pid, PointerByReference process, PointerByReference result);

    int HcsCloseProcess(Pointer process);

    int HcsTerminateProcess(Pointer process, PointerByReference result);

    int HcsSignalProcess(Pointer process, Pointer options, PointerByReference result);

    int HcsGetProcessInfo(Pointer process, ProcessInformation processInformation, PointerByReference result);

    int HcsGetProcessProperties(Pointer process, PointerByReference processProperties, PointerByReference result);

    int HcsModifyProcess(Pointer process, Pointer settings, PointerByReference result);

    int HcsRegisterProcessCallback(Pointer process, NotificationCallback callback, Pointer context,
            PointerByReference callbackHandle);

    int HcsUnregisterProcessCallback(Pointer callbackHandle);

    /** The HNS entry point vmcompute.dll also exports. */
    int HNSCall(Pointer method, Pointer path, Pointer object, PointerByReference response);
}
