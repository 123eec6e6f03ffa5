package dev.hcsshim.windows;

import com.sun.jna.Library;
import com.sun.jna.Pointer;

/** ole32.dll: only the allocator HCS hands its result strings out of. */
interface Ole32 extends Library {
    void CoTaskMemFree(Pointer p);
}
