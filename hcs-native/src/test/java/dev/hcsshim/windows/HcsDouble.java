package dev.hcsshim.windows;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The control API of test-fixtures' native vmcompute double. */
interface HcsDouble extends Library {
    int OK = 0;
    int PENDING = 1;
    int FAIL = 2;
    int P_EXIT = 0;
    int P_CAT = 1;
    int P_RUN = 2;
    int P_EXIT_HANG = 3;

    void dbl_reset();

    void dbl_script(String fn, int mode, int hr, String json, int delayMs, int notif);

    void dbl_next_process(String out, String err, int exitCode, int mode);

    long dbl_live_cotaskmem();

    long dbl_live_handles();

    long dbl_live_callbacks();

    long dbl_double_closes();

    long dbl_callbacks_fired();

    int dbl_last_input(String fn, byte[] buf, int cap);

    void dbl_exit_process(int pid, int code);

    void dbl_notify(Pointer handle, int type, int status, String json, int delayMs);

    /** Loads the double and points the binding at it; call before any binding class is used. */
    static HcsDouble install() {
        Path lib = Path.of("../test-fixtures/target/native/libhcs_double.so").toAbsolutePath().normalize();
        if (!Files.exists(lib)) throw new IllegalStateException("native double not built: " + lib);
        System.setProperty(NativeLibraries.OVERRIDE, lib.toString());
        return Native.load(lib.toString(), HcsDouble.class);
    }

    default String lastInput(String fn) {
        byte[] buf = new byte[65536];
        int n = dbl_last_input(fn, buf, buf.length);
        return n < 0 ? null : new String(buf, 0, Math.min(n, buf.length - 1), StandardCharsets.UTF_8);
    }
}
