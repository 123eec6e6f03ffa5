package dev.hcsshim.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The daemon's own flag for the socket its start hands over is checked before anything runs. */
class ShimFlagsTest {
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream stderr;

    @BeforeEach
    void captureStderr() {
        stderr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreStderr() {
        System.setErr(stderr);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aHandedOverSocketNeedsItsPath() throws Exception {
        assertEquals(2, ShimMain.run(new String[] {"-namespace", "ns", "-id", "a", "-socket-fd", "3", "serve"}, null));
        assertEquals("containerd-shim-runhcs-v1: -socket-fd needs -socket (where that socket is bound)\n", stderr());
    }

    @Test
    void aHandedOverSocketIsADescriptorNumber() throws Exception {
        assertEquals(2, ShimMain.run(new String[] {"-namespace", "ns", "-id", "a", "-socket", "/run/x.sock", "-socket-fd", "three", "serve"}, null));
        assertEquals("containerd-shim-runhcs-v1: -socket-fd wants a descriptor number, got three\n", stderr());
    }
}
