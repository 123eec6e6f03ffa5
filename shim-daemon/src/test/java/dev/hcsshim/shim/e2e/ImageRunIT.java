package dev.hcsshim.shim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.fixtures.OciImageArchive;
import dev.hcsshim.fixtures.PrivateContainerd.CtrResult;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Image-based runs: containerd hands the shim overlay snapshot mounts, which it mounts and unmounts. */
class ImageRunIT {
    static final String IMAGE = "docker.io/hcsshim/busybox:test";
    static ShimHarness h;

    @BeforeAll
    static void up() throws IOException {
        h = ShimHarness.start("image-it");
        Path archive = h.work.resolve("busybox-oci.tar");
        OciImageArchive.write(h.rootfs, IMAGE, archive);
        h.ctr("image", "import", archive.toString()).requireOk();
    }

    @AfterAll
    static void down() throws IOException {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void runsFromAnImageAndLeavesNoMountBehind() throws IOException {
        CtrResult r = h.ctr("run", "--rm", "--runtime", ShimHarness.RUNTIME, IMAGE, "from-image",
                "/bin/sh", "-c", "echo written > /tmp/f && cat /tmp/f && echo $PATH").requireOk();
        assertEquals("written\n/usr/sbin:/usr/bin:/sbin:/bin\n", r.stdout());
        assertTrue(ShimHarness.mountsUnder(h.work).isEmpty(), "rootfs unmounted: " + ShimHarness.mountsUnder(h.work));
    }

    @Test
    void aDetachedImageTaskHasItsRootfsMountedWhileItRuns() throws IOException {
        h.ctr("run", "-d", "--runtime", ShimHarness.RUNTIME, IMAGE, "mounted", "/bin/sleep", "1000").requireOk();
        assertTrue(ShimHarness.mountsUnder(h.work).stream().anyMatch(m -> m.endsWith("/mounted/rootfs")),
                "overlay on the bundle's rootfs: " + ShimHarness.mountsUnder(h.work));
        h.remove("mounted");
        assertTrue(ShimHarness.mountsUnder(h.work).isEmpty(), "rootfs unmounted: " + ShimHarness.mountsUnder(h.work));
    }
}
