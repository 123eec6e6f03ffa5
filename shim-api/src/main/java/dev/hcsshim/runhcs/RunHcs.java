package dev.hcsshim.runhcs;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hcsshim.transport.PipeConnection;
import dev.hcsshim.transport.PipeDialer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** runhcs' shim protocol: pipe names, the success marker and VM requests over a pipe. */
public final class RunHcs {
    private RunHcs() {}

    /** Only SYSTEM and Administrators can create pipes under this prefix. */
    public static final String SAFE_PIPE_PREFIX = "\\\\.\\pipe\\ProtectedPrefix\\Administrators\\";

    /** What a shim writes for success: NUL 'O' 'K' NUL. */
    private static final byte[] SHIM_SUCCESS = {0, 'O', 'K', 0};

    private static final ObjectMapper JSON = new ObjectMapper();

    public static byte[] shimSuccess() {
        return SHIM_SUCCESS.clone();
    }

    public static String safePipePath(String name) {
        return SAFE_PIPE_PREFIX + name;
    }

    /** The pipe a VM shim listens on for a given host-unique id. */
    public static String vmPipePath(UUID hostUniqueId) {
        return safePipePath("runhcs-vm-" + hostUniqueId);
    }

    /**
     * Reads the shim's whole answer: the success marker means success, anything else is the
     * error text. On failure {@code p} (if given) is killed and reaped.
     */
    public static void getErrorFromPipe(InputStream pipe, Process p) throws IOException {
        byte[] answer = pipe.readAllBytes();
        if (Arrays.equals(answer, SHIM_SUCCESS)) return;
        String extra = "";
        if (p != null) {
            p.destroyForcibly();
            try {
                if (p.waitFor(30, TimeUnit.SECONDS)) extra = ", exit code " + p.exitValue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (answer.length == 0) throw new IOException("unknown shim failure" + extra);
        throw new IOException(new String(answer, StandardCharsets.UTF_8));
    }

    /** Sends {@code req} as JSON to the shim at {@code pipePath} and reads its answer. */
    public static void issueVMRequest(PipeDialer dialer, String pipePath, VMRequest req) throws IOException {
        try (PipeConnection c = dialer.dial(pipePath)) {
            OutputStream out = c.output();
            out.write(JSON.writeValueAsBytes(req));
            out.write('\n'); // Go's json.Encoder ends each value with a newline
            out.flush();
            getErrorFromPipe(c.input(), null);
        }
    }
}
