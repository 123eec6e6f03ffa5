package dev.hcsshim.windows;

import static org.junit.jupiter.api.Assertions.*;

import dev.hcsshim.runhcs.RunHcs;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PipeSecurityTest {

    @Test
    void shimPipeLivesUnderTheAdministratorsPrefix() {
        String p = PipeSecurity.shimPipePath("k8s.io", "abc123");
        assertEquals("\\\\.\\pipe\\ProtectedPrefix\\Administrators\\containerd-shim-k8s.io-abc123-pipe", p);
        assertTrue(PipeSecurity.isProtected(p));
        assertTrue(p.startsWith(RunHcs.SAFE_PIPE_PREFIX), "same prefix as runhcs");
        assertTrue(PipeSecurity.isProtected(p.toUpperCase()), "pipe names are case-insensitive");
        assertFalse(PipeSecurity.isProtected("\\\\.\\pipe\\containerd-shim-x-pipe"));
        assertFalse(PipeSecurity.isProtected(PipeSecurity.PROTECTED_PREFIX));
    }

    @Test
    void badNamesAndPathsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> PipeSecurity.shimPipePath("", "id"));
        assertThrows(IllegalArgumentException.class, () -> PipeSecurity.shimPipePath("ns", "a\\b"));
        assertThrows(IllegalArgumentException.class, () -> PipeSecurity.shimPipePath("ns", "a/b"));
        assertThrows(IllegalArgumentException.class, () -> PipeSecurity.shimPipePath("ns", "x".repeat(300)));
        assertThrows(IllegalArgumentException.class, () -> PipeSecurity.checkPath("C:\\file"));
        assertThrows(IllegalArgumentException.class, () -> PipeSecurity.checkPath("\\\\.\\pipe\\"));
        assertThrows(IllegalArgumentException.class, () -> PipeSecurity.checkPath("\\\\remote\\pipe\\x"));
        assertEquals("\\\\.\\PIPE\\x", PipeSecurity.checkPath("\\\\.\\PIPE\\x"));
    }

    @Test
    void sddlAdmitsOnlySystemAndAdministrators() {
        String sddl = PipeSecurity.SHIM_SDDL;
        assertTrue(PipeSecurity.isDaclProtected(sddl), "no inherited ACEs may widen it");
        assertEquals(Set.of("SY", "BA"), PipeSecurity.allowedTrustees(sddl));
        assertEquals(List.of(new PipeSecurity.Ace("A", "", "GA", "SY"), new PipeSecurity.Ace("A", "", "GA", "BA")),
                PipeSecurity.daclAces(sddl));
    }

    @Test
    void sddlParserSeesWiderGrants() {
        assertEquals(Set.of("SY", "BA", "WD"), PipeSecurity.allowedTrustees("D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GRGW;;;WD)"));
        assertFalse(PipeSecurity.isDaclProtected("D:(A;;GA;;;SY)"));
        assertThrows(IllegalArgumentException.class, () -> PipeSecurity.daclAces("D:P(A;;GA;;SY)"));
        assertThrows(IllegalArgumentException.class, () -> PipeSecurity.daclAces("O:BA"));
    }
}
