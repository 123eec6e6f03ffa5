package dev.hcsshim.linux;

import static dev.hcsshim.linux.LinuxTestSupport.newId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.fixtures.BusyboxBundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** containerd-style rootfs mounts on a bundle, with and without a container on top. */
@SuppressWarnings("try")
class LinuxRootfsMountsTest {
    @TempDir
    Path dir;

    @AfterEach
    void nothingMountedUnderTheTestDir() throws IOException {
        String d = dir.toRealPath().toString();
        List<String> left = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.contains(d)).toList();
        assertEquals(List.of(), left, "mounts left behind");
    }

    private List<RootfsMounts.Mount> overlay(Path lower) throws IOException {
        Path upper = Files.createDirectories(dir.resolve("upper"));
        Path work = Files.createDirectories(dir.resolve("work"));
        return List.of(new RootfsMounts.Mount("overlay", "overlay",
                List.of("workdir=" + work, "upperdir=" + upper, "lowerdir=" + lower)));
    }

    @Test
    void overlayMountAndUnmountIsIdempotent() throws Exception {
        Path lower = dir.resolve("lower");
        BusyboxBundle.buildRootfs(lower);
        Path target = dir.resolve("bundle/rootfs");
        RootfsMounts.mountAll(target, overlay(lower));
        assertTrue(RootfsMounts.isMountPoint(target));
        assertTrue(Files.isExecutable(target.resolve("bin/busybox")));
        Files.writeString(target.resolve("tmp/new"), "x");
        assertTrue(Files.exists(dir.resolve("upper/tmp/new")), "writes go to the upper dir");
        RootfsMounts.unmountAll(target);
        assertFalse(RootfsMounts.isMountPoint(target));
        RootfsMounts.unmountAll(target); // idempotent
        RootfsMounts.unmountAll(dir.resolve("never-there"));
    }

    @Test
    void readOnlyBindAndBusyLazyUnmount() throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.writeString(src.resolve("f"), "data");
        Path target = dir.resolve("ro");
        RootfsMounts.mountAll(target, List.of(new RootfsMounts.Mount("bind", src.toString(), List.of("rbind", "ro"))));
        assertEquals("data", Files.readString(target.resolve("f")));
        assertThrows(IOException.class, () -> Files.writeString(target.resolve("g"), "no"));
        // an open file keeps the mount busy: unmount must still take it away (lazily)
        try (var open = Files.newInputStream(target.resolve("f"))) {
            RootfsMounts.unmountAll(target);
            assertFalse(RootfsMounts.isMountPoint(target));
            assertEquals('d', open.read());
        }
    }

    @Test
    void badMountSaysWhich() {
        IOException e = assertThrows(IOException.class, () -> RootfsMounts.mountAll(dir.resolve("t"),
                List.of(new RootfsMounts.Mount("overlay", "overlay", List.of("lowerdir=" + dir.resolve("missing"))))));
        assertTrue(e.getMessage().contains("mount overlay overlay on"), e.getMessage());
    }

    @Test
    void containerOnAnOverlayRootfs() throws Exception {
        Path lower = dir.resolve("lower");
        BusyboxBundle.buildRootfs(lower);
        String id = newId();
        try (RuncFixture fx = new RuncFixture()) {
            // the bundle's own rootfs stays empty: containerd passes the snapshot as mounts
            BusyboxBundle b = fx.bundle(dir.resolve("bundle"), id).args("sh", "-c", "echo ok > /marker; cat /marker").build();
            OciRuntime.deleteTree(b.rootfs());
            Files.createDirectories(b.rootfs());
            RuncFixture.Container c = fx.create(id, b, RuncFixture.Io.OUT, overlay(lower));
            Collector out = fx.collect("ovl", c.init().pipes().stdoutFd());
            fx.runtime.start(id);
            assertEquals(0, c.init().exit().status());
            assertEquals("ok\n", fx.text(out));
            assertEquals("ok\n", Files.readString(dir.resolve("upper/marker")));
        }
        assertFalse(RootfsMounts.isMountPoint(dir.resolve("bundle/rootfs")), "unmounted by close");
    }
}
