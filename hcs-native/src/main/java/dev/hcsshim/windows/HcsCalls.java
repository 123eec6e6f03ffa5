package dev.hcsshim.windows;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import dev.hcsshim.hcs.Errno;
import dev.hcsshim.hcs.Hcs;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Shared plumbing for vmcompute calls: JSON in, HRESULT and CoTaskMem strings out. */
final class HcsCalls {
    static final ObjectMapper JSON = new ObjectMapper()
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private HcsCalls() {}

    /** Documents go to HCS as JSON text; a String is taken to be JSON already. */
    static String toJson(Object doc) {
        if (doc == null) return null;
        if (doc instanceof String s) return s;
        try {
            return JSON.writeValueAsString(doc);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads and frees an out-parameter string; the pointer is cleared so it cannot be freed twice. */
    static String take(PointerByReference ref) {
        Pointer p = ref.getValue();
        if (p == null) return null;
        try {
            return p.getWideString(0);
        } finally {
            Natives.ole32().CoTaskMemFree(p);
            ref.setValue(null);
        }
    }

    /** Frees a notification's data string after reading it. */
    static String takeData(Pointer p) {
        if (p == null) return null;
        try {
            return p.getWideString(0);
        } finally {
            Natives.ole32().CoTaskMemFree(p);
        }
    }

    /** Null for success (any non-negative HRESULT), else the error hcsshim compares against. */
    static Errno error(int hr) {
        return hr >= 0 ? null : Hcs.win32FromHresult(hr);
    }
}
