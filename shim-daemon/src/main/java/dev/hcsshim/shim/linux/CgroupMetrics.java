package dev.hcsshim.shim.linux;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.hcsshim.linux.OciRuntime;
import dev.hcsshim.linux.OciStats;
import dev.hcsshim.proto.cgroups.v1.BlkIOEntry;
import dev.hcsshim.proto.cgroups.v1.BlkIOStat;
import dev.hcsshim.proto.cgroups.v1.CPUStat;
import dev.hcsshim.proto.cgroups.v1.CPUUsage;
import dev.hcsshim.proto.cgroups.v1.MemoryEntry;
import dev.hcsshim.proto.cgroups.v1.MemoryStat;
import dev.hcsshim.proto.cgroups.v1.Metrics;
import dev.hcsshim.proto.cgroups.v1.PidsStat;
import dev.hcsshim.proto.cgroups.v1.Throttle;
import dev.hcsshim.shim.task.TypeUrls;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A task's Stats as containerd's runc shim answers them: on a unified (cgroup v2) host
 * {@code io.containerd.cgroups.v2.Metrics} read from the init process's cgroup
 * ({@link CgroupV2Metrics}); otherwise (legacy or hybrid) a runtime stats sample as cgroup v1
 * {@code Metrics}. {@code ctr task metrics} decodes either.
 */
final class CgroupMetrics {
    /** memory.stat keys whose proto field name is not the key itself. */
    private static final Map<String, String> MEMORY_FIELD_ALIASES = Map.of(
            "pgpgin", "pg_pg_in",
            "pgpgout", "pg_pg_out",
            "pgfault", "pg_fault",
            "pgmajfault", "pg_maj_fault",
            "hierarchical_memsw_limit", "hierarchical_swap_limit");

    private CgroupMetrics() {}

    private static final CgroupV2Metrics.Mode HOST_MODE = CgroupV2Metrics.Mode.of(CgroupV2Metrics.ROOT);

    /** The Stats answer for the container {@code id} whose init process is {@code initPid}. */
    static Any sample(OciRuntime rt, String id, int initPid) throws IOException {
        if (HOST_MODE == CgroupV2Metrics.Mode.UNIFIED) {
            Path group = CgroupV2Metrics.groupOf(Path.of("/proc/" + initPid + "/cgroup"), CgroupV2Metrics.ROOT);
            return TypeUrls.pack(CgroupV2Metrics.read(group));
        }
        return TypeUrls.pack(toMetrics(rt.stats(id)));
    }

    static Metrics toMetrics(OciStats s) {
        Metrics.Builder m = Metrics.newBuilder();
        m.setPids(PidsStat.newBuilder().setCurrent(s.pids().current()).setLimit(s.pids().limit()));
        OciStats.Cpu cpu = s.cpu();
        m.setCpu(CPUStat.newBuilder()
                .setUsage(CPUUsage.newBuilder().setTotal(cpu.total()).setKernel(cpu.kernel()).setUser(cpu.user())
                        .addAllPerCpu(cpu.perCpu()))
                .setThrottling(Throttle.newBuilder().setPeriods(cpu.periods())
                        .setThrottledPeriods(cpu.throttledPeriods()).setThrottledTime(cpu.throttledTime())));
        m.setMemory(memory(s.memory()));
        OciStats.Blkio b = s.blkio();
        m.setBlkio(BlkIOStat.newBuilder()
                .addAllIoServiceBytesRecursive(entries(b.ioServiceBytesRecursive()))
                .addAllIoServicedRecursive(entries(b.ioServicedRecursive()))
                .addAllIoQueuedRecursive(entries(b.ioQueuedRecursive()))
                .addAllIoServiceTimeRecursive(entries(b.ioServiceTimeRecursive()))
                .addAllIoWaitTimeRecursive(entries(b.ioWaitTimeRecursive()))
                .addAllIoMergedRecursive(entries(b.ioMergedRecursive()))
                .addAllIoTimeRecursive(entries(b.ioTimeRecursive()))
                .addAllSectorsRecursive(entries(b.sectorsRecursive())));
        return m.build();
    }

    private static MemoryStat memory(OciStats.Memory mem) {
        MemoryStat.Builder b = MemoryStat.newBuilder()
                .setUsage(entry(mem.usage()))
                .setSwap(entry(mem.swap()))
                .setKernel(entry(mem.kernel()))
                .setKernelTcp(entry(mem.kernelTcp()));
        // memory.stat's counters map onto same-named uint64 fields (a few under other names).
        for (Map.Entry<String, Long> e : mem.raw().entrySet()) {
            String key = e.getKey();
            boolean total = key.startsWith("total_");
            String base = total ? key.substring("total_".length()) : key;
            String field = (total ? "total_" : "") + MEMORY_FIELD_ALIASES.getOrDefault(base, base);
            FieldDescriptor fd = MemoryStat.getDescriptor().findFieldByName(field);
            if (fd != null && fd.getType() == FieldDescriptor.Type.UINT64) {
                b.setField(fd, e.getValue());
            }
        }
        return b.build();
    }

    private static MemoryEntry entry(OciStats.MemoryEntry e) {
        return MemoryEntry.newBuilder().setUsage(e.usage()).setLimit(e.limit()).setMax(e.max()).setFailcnt(e.failcnt()).build();
    }

    private static List<BlkIOEntry> entries(List<OciStats.BlkioEntry> list) {
        return list.stream()
                .map(e -> BlkIOEntry.newBuilder().setMajor(e.major()).setMinor(e.minor()).setOp(e.op()).setValue(e.value()).build())
                .toList();
    }
}
