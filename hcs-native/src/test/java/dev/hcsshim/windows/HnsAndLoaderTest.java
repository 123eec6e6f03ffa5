package dev.hcsshim.windows;

import dev.hcsshim.fixtures.HcsDouble;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hcsshim.hcs.Hcs;
import dev.hcsshim.hcs.HcsError;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HnsAndLoaderTest {
    static HcsDouble dbl;

    @BeforeAll
    static void load() {
        dbl = HcsDouble.install();
    }

    @Test
    void namespaceEndpointsAreLookedUpById() throws Exception {
        dbl.dbl_reset();
        dbl.dbl_script("HNSCall", HcsDouble.OK, 0, "{\"Success\":true,\"Output\":{\"ID\":\"ns1\",\"Resources\":["
                + "{\"Type\":\"Endpoint\",\"Data\":{\"Id\":\"ep1\"}},{\"Type\":\"Other\",\"Data\":{}}]}}", 0, 0);
        dbl.dbl_script("HNSCall", HcsDouble.OK, 0, "{\"Success\":true,\"Output\":{\"ID\":\"ep1\",\"IPAddress\":\"10.0.0.2\"}}", 0, 0);
        List<JsonNode> eps = Hns.getNamespaceEndpoints("ns1");
        assertEquals(1, eps.size());
        assertEquals("10.0.0.2", eps.get(0).get("IPAddress").asText());
        assertEquals("/endpoints/ep1", dbl.lastInput("HNSCall"));
        assertEquals(0, dbl.dbl_live_cotaskmem());
    }

    @Test
    void hnsFailuresAreErrors() {
        dbl.dbl_reset();
        dbl.dbl_script("HNSCall", HcsDouble.OK, 0, "{\"Success\":false,\"Error\":\"Element not found.\"}", 0, 0);
        IOException e = assertThrows(IOException.class, () -> Hns.getNamespaceEndpoints("nope"));
        assertTrue(e.getMessage().contains("Element not found."));
        dbl.dbl_script("HNSCall", HcsDouble.FAIL, 0x80070490, null, 0, 0);
        HcsError he = assertThrows(HcsError.class, () -> Hns.call("GET", "/namespaces/x", ""));
        assertTrue(Hcs.isNotExist(he));
        assertEquals(0, dbl.dbl_live_cotaskmem());
    }

    @Test
    void withoutTheOverrideNothingLoadsOffWindows() {
        String saved = System.getProperty(NativeLibraries.OVERRIDE);
        System.clearProperty(NativeLibraries.OVERRIDE);
        try {
            if (!System.getProperty("os.name").startsWith("Windows")) {
                assertThrows(UnsupportedOperationException.class, () -> NativeLibraries.load("vmcompute", Vmcompute.class));
            }
        } finally {
            System.setProperty(NativeLibraries.OVERRIDE, saved);
        }
    }
}
