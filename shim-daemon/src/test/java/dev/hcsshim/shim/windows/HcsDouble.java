package dev.hcsshim.shim.windows;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The control API of test-fixtures' native vmcompute double (the subset these tests script). */
interface HcsDouble extends Library {
    int OK = 0;
    int PENDING = 1;
    int FAIL = 2;
    int P_EXIT = 0;
    int P_CAT = 1;
    int P_RUN = 2;

    void dbl_reset();

    void dbl_script(String fn, int mode, int hr, String json, int delayMs, int notif);

    void dbl_next_process(String out, String err, int exitCode, int mode);

    long dbl_live_cotaskmem();

    long dbl_live_handles();

    long dbl_live_callbacks();

    long dbl_double_closes();

    int dbl_last_input(String fn, byte[] buf, int cap);

    /** Points the HCS binding at the double; before any dev.hcsshim.windows binding is used. */
    static HcsDouble install() {
        Path lib = Path.of("../test-fixtures/target/native/libhcs_double.so").toAbsolutePath().normalize();
        if (!Files.exists(lib)) throw new IllegalStateException("native double not built: " + lib);
        System.setProperty("hcsshim.native.override", lib.toString());
        return Native.load(lib.toString(), HcsDouble.class);
    }

    default String lastInput(String fn) {
        byte[] buf = new byte[65536];
        int n = dbl_last_input(fn, buf, buf.length);
        return n < 0 ? null : new String(buf, 0, Math.min(n, buf.length - 1), StandardCharsets.UTF_8);
    }
}
