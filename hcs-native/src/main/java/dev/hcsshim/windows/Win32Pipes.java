package dev.hcsshim.windows;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.WinBase;
import com.sun.jna.platform.win32.WinNT;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

/** The kernel32/advapi32 calls named pipes need (wide-character entry points). Windows only. */
interface Win32Pipes {
    int PIPE_ACCESS_DUPLEX = 0x00000003;
    int FILE_FLAG_OVERLAPPED = 0x40000000;
    int FILE_FLAG_FIRST_PIPE_INSTANCE = 0x00080000;
    int PIPE_TYPE_BYTE = 0;
    int PIPE_READMODE_BYTE = 0;
    int PIPE_WAIT = 0;
    int PIPE_REJECT_REMOTE_CLIENTS = 0x00000008;
    int PIPE_UNLIMITED_INSTANCES = 255;
    int GENERIC_READ = 0x80000000;
    int GENERIC_WRITE = 0x40000000;
    int OPEN_EXISTING = 3;
    int SECURITY_SQOS_PRESENT = 0x00100000;
    int SECURITY_ANONYMOUS = 0;
    int SDDL_REVISION_1 = 1;
    int ERROR_FILE_NOT_FOUND = 2;
    int ERROR_PIPE_BUSY = 231;
    int ERROR_IO_PENDING = 997;
    int ERROR_PIPE_CONNECTED = 535;
    int ERROR_BROKEN_PIPE = 109;
    int ERROR_OPERATION_ABORTED = 995;
    int ERROR_NO_DATA = 232;
    int ERROR_PIPE_NOT_CONNECTED = 233;

    interface Kernel32 extends Library {
        WinNT.HANDLE CreateNamedPipeW(char[] name, int openMode, int pipeMode, int maxInstances, int outBuffer,
                int inBuffer, int defaultTimeout, WinBase.SECURITY_ATTRIBUTES sa) throws LastErrorException;

        boolean ConnectNamedPipe(WinNT.HANDLE pipe, Pointer overlapped);

        boolean DisconnectNamedPipe(WinNT.HANDLE pipe);

        WinNT.HANDLE CreateFileW(char[] name, int access, int share, WinBase.SECURITY_ATTRIBUTES sa, int disposition,
                int flags, WinNT.HANDLE template);

        boolean WaitNamedPipeW(char[] name, int timeoutMs);

        WinNT.HANDLE CreateEventW(WinBase.SECURITY_ATTRIBUTES sa, boolean manualReset, boolean initialState,
                char[] name) throws LastErrorException;

        boolean ReadFile(WinNT.HANDLE h, Pointer buf, int n, IntByReference read, Pointer overlapped);

        boolean WriteFile(WinNT.HANDLE h, Pointer buf, int n, IntByReference written, Pointer overlapped);

        boolean GetOverlappedResult(WinNT.HANDLE h, Pointer overlapped, IntByReference transferred, boolean wait);

        boolean CancelIoEx(WinNT.HANDLE h, Pointer overlapped);

        boolean CloseHandle(WinNT.HANDLE h);

        int GetLastError();
    }

    interface Advapi32 extends Library {
        boolean ConvertStringSecurityDescriptorToSecurityDescriptorW(char[] sddl, int revision,
                PointerByReference sd, IntByReference size) throws LastErrorException;
    }

    interface LocalMem extends Library {
        Pointer LocalFree(Pointer p);
    }

    static char[] wide(String s) {
        return (s + "\0").toCharArray();
    }
}
