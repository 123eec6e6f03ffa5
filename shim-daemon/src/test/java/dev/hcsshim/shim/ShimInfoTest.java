package dev.hcsshim.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon writes its info file with a streaming generator; shimdiag reads it back bound to ShimInfo. */
class ShimInfoTest {
    @Test
    void whatTheDaemonWritesShimdiagReadsBack(@TempDir Path dir) throws Exception {
        ShimEndpoint endpoint = ShimEndpoint.at("unix://" + dir.resolve("abc"));
        ShimInfo.write(endpoint, "k8s.io", "web-1", true);

        ShimInfo info = ShimInfo.read(endpoint.infoPath());
        assertEquals(new ShimInfo("k8s.io", "web-1", ProcessHandle.current().pid(), endpoint.address(),
                "unix://" + endpoint.grpcPath(), true), info);
        assertEquals("k8s.io-web-1", info.name());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(endpoint.infoPath())));
        assertEquals(1, Files.list(dir).count(), "no temporary file left beside it");
    }
}
