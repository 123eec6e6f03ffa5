package dev.hcsshim.transport;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PipeAddressTest {
    @Test
    void windowsShimPipe() {
        PipeAddress.NamedPipe p = PipeAddress.windowsShimPipe("k8s.io", "abc");
        assertEquals("\\\\.\\pipe\\ProtectedPrefix\\Administrators\\containerd-shim-k8s.io-abc-pipe", p.format());
        assertEquals(p, PipeAddress.parse(p.format()));
        assertEquals(p, PipeAddress.parse("npipe:////./pipe/ProtectedPrefix/Administrators/containerd-shim-k8s.io-abc-pipe"));
    }

    @Test
    void unixParseAndFormat() {
        PipeAddress a = PipeAddress.parse("unix:///run/containerd/s/abc");
        assertEquals(new PipeAddress.UnixSocket(Path.of("/run/containerd/s/abc")), a);
        assertEquals("unix:///run/containerd/s/abc", a.format());
        assertEquals(a, PipeAddress.parse("/run/containerd/s/abc"));
        assertEquals(a, PipeAddress.parse("  unix:///run/containerd/s/abc\n"));
        assertThrows(IllegalArgumentException.class, () -> PipeAddress.parse("tcp://1.2.3.4:5"));
        assertThrows(IllegalArgumentException.class, () -> PipeAddress.parse("unix://relative"));
        assertThrows(IllegalArgumentException.class, () -> new PipeAddress.UnixSocket(Path.of("/" + "x".repeat(107))));
    }

    @Test
    void linuxShimSocketIsAShortStableHash() {
        var a = PipeAddress.linuxShimSocket(PipeAddress.DEFAULT_SOCKET_DIR, "/run/containerd/containerd.sock", "default", "c1");
        assertEquals(a, PipeAddress.linuxShimSocket(PipeAddress.DEFAULT_SOCKET_DIR, "/run/containerd/containerd.sock", "default", "c1"));
        assertNotEquals(a, PipeAddress.linuxShimSocket(PipeAddress.DEFAULT_SOCKET_DIR, "/run/containerd/containerd.sock", "default", "c2"));
        assertTrue(a.path().getFileName().toString().matches("[0-9a-f]{64}"));
        assertEquals(Path.of("/run/containerd/runhcs"), a.path().getParent());
        // sha256("/run/containerd/containerd.sock/default/c1"), computed independently with sha256sum
        assertEquals("d25aa4ef11a84e954e74a5bcff06557d0b6ea8d0c00243896f29826694bbd888", a.path().getFileName().toString());
        var huge = PipeAddress.linuxShimSocket(PipeAddress.DEFAULT_SOCKET_DIR, "/x".repeat(500), "n".repeat(300), "i".repeat(500));
        assertTrue(huge.path().toString().getBytes(StandardCharsets.UTF_8).length <= 107);
        assertTrue(huge.format().startsWith("unix:///run/containerd/runhcs/"));
    }
}
