package dev.hcsshim.windows;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/** The kernel32 calls used on stdio and pipe handles; failures carry GetLastError. */
interface Kernel32Io extends Library {
    int ERROR_BROKEN_PIPE = 109;
    int ERROR_NO_DATA = 232;
    int ERROR_PIPE_CONNECTED = 535;
    int ERROR_IO_PENDING = 997;
    int ERROR_PIPE_NOT_CONNECTED = 233;
    int ERROR_OPERATION_ABORTED = 995;

    boolean ReadFile(Pointer handle, byte[] buffer, int n, IntByReference read, Pointer overlapped)
            throws LastErrorException;

    boolean WriteFile(Pointer handle, byte[] buffer, int n, IntByReference written, Pointer overlapped)
            throws LastErrorException;

    boolean CloseHandle(Pointer handle) throws LastErrorException;

    boolean CancelIoEx(Pointer handle, Pointer overlapped) throws LastErrorException;
}
