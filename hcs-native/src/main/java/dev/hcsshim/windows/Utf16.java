package dev.hcsshim.windows;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;

/**
 * PCWSTR marshalling done by hand: JNA's WString is wchar_t, which is UTF-32 off Windows, while
 * the HCS ABI is always NUL-terminated UTF-16LE.
 */
final class Utf16 {
    private Utf16() {}

    static Memory of(String s) {
        if (s == null) return null;
        byte[] b = s.getBytes(StandardCharsets.UTF_16LE);
        Memory m = new Memory(b.length + 2L);
        m.write(0, b, 0, b.length);
        m.setShort(b.length, (short) 0);
        return m;
    }

    static String read(Pointer p) {
        if (p == null) return null;
        long n = 0;
        while (p.getShort(n) != 0) n += 2;
        return new String(p.getByteArray(0, (int) n), StandardCharsets.UTF_16LE);
    }
}
