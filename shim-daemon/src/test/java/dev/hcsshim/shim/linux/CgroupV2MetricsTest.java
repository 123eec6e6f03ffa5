package dev.hcsshim.shim.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.hcsshim.proto.cgroups.v2.HugeTlbStat;
import dev.hcsshim.proto.cgroups.v2.IOEntry;
import dev.hcsshim.proto.cgroups.v2.Metrics;
import dev.hcsshim.shim.task.TypeUrls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stats on a cgroup v2 host, from a container's cgroup files in the kernel's format. */
class CgroupV2MetricsTest {
    private static final Path RECORDED = Path.of("src/test/resources/cgroup-v2");
    private static final long MAX = -1L; // "max": 2^64-1

    @Test
    void cgroupFilesBecomeV2Metrics() throws Exception {
        Metrics m = CgroupV2Metrics.read(RECORDED.resolve("busybox"));
        assertEquals("io.containerd.cgroups.v2.Metrics", TypeUrls.pack(m).getTypeUrl());
        assertEquals(3, m.getPids().getCurrent());
        assertEquals(MAX, m.getPids().getLimit());
        assertEquals(688881, m.getCpu().getUsageUsec());
        assertEquals(272348, m.getCpu().getUserUsec());
        assertEquals(416533, m.getCpu().getSystemUsec());
        assertEquals(120, m.getCpu().getNrPeriods());
        assertEquals(7, m.getCpu().getNrThrottled());
        assertEquals(53021, m.getCpu().getThrottledUsec());
        assertEquals(1990656, m.getMemory().getUsage());
        assertEquals(268435456, m.getMemory().getUsageLimit());
        assertEquals(0, m.getMemory().getSwapUsage());
        assertEquals(MAX, m.getMemory().getSwapLimit());
        assertEquals(409600, m.getMemory().getAnon());
        assertEquals(1134592, m.getMemory().getFile());
        assertEquals(253984, m.getMemory().getSlab());
        assertEquals(1557, m.getMemory().getPgfault());
        assertEquals(3, m.getMemory().getPgactivate());
        assertEquals(2, m.getMemoryEvents().getMax());
        assertEquals(1, m.getMemoryEvents().getOomKill());
        assertEquals(List.of(
                IOEntry.newBuilder().setMajor(254).setMinor(0).setRbytes(1134592).setWbytes(4096).setRios(31).setWios(1).build(),
                IOEntry.newBuilder().setMajor(8).setMinor(16).build()), m.getIo().getUsageList());
        assertEquals(List.of(HugeTlbStat.newBuilder().setPagesize("1GB").setMax(MAX).build(),
                HugeTlbStat.newBuilder().setPagesize("2MB").setMax(MAX).build()), m.getHugetlbList());
    }

    @Test
    void controllersNotEnabledReadAsZero() throws Exception {
        Metrics m = CgroupV2Metrics.read(RECORDED.resolve("no-such-group"));
        assertEquals(0, m.getCpu().getUsageUsec());
        assertEquals(0, m.getMemory().getUsage());
        assertEquals(0, m.getIo().getUsageCount());
    }

    @Test
    void theInitProcessCgroupLineNamesTheGroup() throws Exception {
        assertEquals(Path.of("/sys/fs/cgroup/system.slice/containerd.service/default/busybox"),
                CgroupV2Metrics.groupOf(RECORDED.resolve("proc-cgroup"), CgroupV2Metrics.ROOT));
    }

    @Test
    void theHostModeIsToldFromWhereCgroup2IsMounted() {
        Path root = Path.of("/sys/fs/cgroup");
        assertEquals(CgroupV2Metrics.Mode.UNIFIED, CgroupV2Metrics.Mode.of(root, root::equals));
        // v1 hierarchies plus an empty cgroup2 at /sys/fs/cgroup/unified (this build machine): v1 Metrics
        assertEquals(CgroupV2Metrics.Mode.HYBRID, CgroupV2Metrics.Mode.of(root, root.resolve("unified")::equals));
        assertEquals(CgroupV2Metrics.Mode.LEGACY, CgroupV2Metrics.Mode.of(root, p -> false));
    }

    @Test
    void aPlainDirectoryIsNoCgroup2Mount(@TempDir Path plain) {
        assertFalse(CgroupV2Metrics.Mode.isCgroup2(plain));
        assertFalse(CgroupV2Metrics.Mode.isCgroup2(plain.resolve("missing")));
    }
}
