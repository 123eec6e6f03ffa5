package dev.hcsshim.windows;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.WString;
import com.sun.jna.ptr.PointerByReference;

/**
 * vmcompute.dll. Handles are opaque pointers, PCWSTR are JNA {@link WString}s (wchar_t: UTF-16 on
 * Windows; the Linux test double takes wchar_t too), every {@code result}/{@code properties}
 * out-parameter is a CoTaskMem wide string the caller frees (see {@link HcsCalls}).
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

    int HcsEnumerateComputeSystems(WString query, PointerByReference computeSystems, PointerByReference result);

    int HcsCreateComputeSystem(WString id, WString configuration, Pointer identity, PointerByReference computeSystem,
            PointerByReference result);

    int HcsOpenComputeSystem(WString id, PointerByReference computeSystem, PointerByReference result);

    int HcsCloseComputeSystem(Pointer computeSystem);

    int HcsStartComputeSystem(Pointer computeSystem, WString options, PointerByReference result);

    int HcsShutdownComputeSystem(Pointer computeSystem, WString options, PointerByReference result);

    int HcsTerminateComputeSystem(Pointer computeSystem, WString options, PointerByReference result);

    int HcsPauseComputeSystem(Pointer computeSystem, WString options, PointerByReference result);

    int HcsResumeComputeSystem(Pointer computeSystem, WString options, PointerByReference result);

    int HcsSaveComputeSystem(Pointer computeSystem, WString options, PointerByReference result);

    int HcsGetComputeSystemProperties(Pointer computeSystem, WString propertyQuery, PointerByReference properties,
            PointerByReference result);

    int HcsModifyComputeSystem(Pointer computeSystem, WString configuration, PointerByReference result);

    int HcsModifyServiceSettings(WString settings, PointerByReference result);

    int HcsGetServiceProperties(WString propertyQuery, PointerByReference properties, PointerByReference result);

    int HcsRegisterComputeSystemCallback(Pointer computeSystem, NotificationCallback callback, Pointer context,
            PointerByReference callbackHandle);

    int HcsUnregisterComputeSystemCallback(Pointer callbackHandle);

    int HcsCreateProcess(Pointer computeSystem, WString processParameters, ProcessInformation processInformation,
            PointerByReference process, PointerByReference result);

    int HcsOpenProcess(Pointer computeSystem, int pid, PointerByReference process, PointerByReference result);

    int HcsCloseProcess(Pointer process);

    int HcsTerminateProcess(Pointer process, PointerByReference result);

    int HcsSignalProcess(Pointer process, WString options, PointerByReference result);

    int HcsGetProcessInfo(Pointer process, ProcessInformation processInformation, PointerByReference result);

    int HcsGetProcessProperties(Pointer process, PointerByReference processProperties, PointerByReference result);

    int HcsModifyProcess(Pointer process, WString settings, PointerByReference result);

    int HcsRegisterProcessCallback(Pointer process, NotificationCallback callback, Pointer context,
            PointerByReference callbackHandle);

    int HcsUnregisterProcessCallback(Pointer callbackHandle);

    /** The HNS entry point vmcompute.dll also exports. */
    int HNSCall(WString method, WString path, WString object, PointerByReference response);
}
