package dev.hcsshim.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Loading libc costs a daemon no child process: JNA would otherwise run {@code ldconfig -p} on
 * its first load (~20 ms of every shim start on containerd's path). Checked in a fresh JVM, which
 * has no children of its own, through getrusage(RUSAGE_CHILDREN): every exec'd child that was
 * reaped leaves page faults there, however short it lived.
 */
class LibCLoadTest {
    private static final int RUSAGE_CHILDREN = -1;
    /** struct rusage: two timevals (32 bytes), then maxrss, ixrss, idrss, isrss, minflt (longs). */
    private static final int RU_MINFLT_OFFSET = 64;

    interface RUsage extends Library {
        int getrusage(int who, Memory usage);
    }

    /** Runs in the child JVM: loads libc through LibC, then prints the children's page faults. */
    public static void main(String[] args) {
        if (LibC.INSTANCE.getpid() <= 0) {
            throw new IllegalStateException("getpid");
        }
        Memory usage = new Memory(144);
        LibC.loadLibc(RUsage.class).getrusage(RUSAGE_CHILDREN, usage);
        System.out.print(usage.getLong(RU_MINFLT_OFFSET));
    }

    @Test
    void loadingLibcStartsNoProcess() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), LibCLoadTest.class.getName()))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(true, child.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(0, child.exitValue(), "child JVM failed: " + out);
        assertEquals("0", out, "page faults of reaped children after loading libc: a process was started");
    }
}
