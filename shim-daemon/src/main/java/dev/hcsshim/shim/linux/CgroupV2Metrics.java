package dev.hcsshim.shim.linux;

import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.hcsshim.proto.cgroups.v2.CPUStat;
import dev.hcsshim.proto.cgroups.v2.HugeTlbStat;
import dev.hcsshim.proto.cgroups.v2.IOEntry;
import dev.hcsshim.proto.cgroups.v2.IOStat;
import dev.hcsshim.proto.cgroups.v2.MemoryEvents;
import dev.hcsshim.proto.cgroups.v2.MemoryStat;
import dev.hcsshim.proto.cgroups.v2.Metrics;
import dev.hcsshim.proto.cgroups.v2.PidsStat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A container's cgroup v2 files as containerd's {@code io.containerd.cgroups.v2.Metrics}, what
 * containerd's runc shim answers Stats with on a unified-cgroup host (read from the cgroup
 * directory of the init process, as it does). A file whose controller is not enabled is skipped;
 * "max" reads as the largest unsigned 64-bit value.
 */
final class CgroupV2Metrics {
    /** Where the unified hierarchy is mounted on a cgroup v2 host. */
    static final Path ROOT = Path.of("/sys/fs/cgroup");
    private static final long MAX = -1L; // 2^64-1 as an unsigned proto uint64

    /** The host's cgroup setup, as containerd tells them apart. */
    enum Mode {
        /** v1 hierarchies only. */
        LEGACY,
        /** v1 hierarchies plus an empty v2 one at /sys/fs/cgroup/unified: containerd reports v1. */
        HYBRID,
        /** v2 only. */
        UNIFIED;

        static Mode of(Path root) {
            return of(root, Mode::isCgroup2);
        }

        /** The mode given which directories are cgroup2 mounts (the test names them). */
        static Mode of(Path root, java.util.function.Predicate<Path> isCgroup2) {
            if (isCgroup2.test(root)) return UNIFIED;
            return isCgroup2.test(root.resolve("unified")) ? HYBRID : LEGACY;
        }

        static boolean isCgroup2(Path p) {
            try {
                return Files.isDirectory(p) && "cgroup2".equals(Files.getFileStore(p).type());
            } catch (IOException e) {
                return false;
            }
        }
    }

    private CgroupV2Metrics() {}

    /** The cgroup directory of a process, from its {@code /proc/<pid>/cgroup} line {@code 0::<path>}. */
    static Path groupOf(Path procCgroupFile, Path root) throws IOException {
        for (String line : Files.readAllLines(procCgroupFile)) {
            if (line.startsWith("0::")) {
                return root.resolve(line.substring(3).replaceFirst("^/+", ""));
            }
        }
        throw new IOException(procCgroupFile + " names no cgroup v2 group");
    }

    static Metrics read(Path group) throws IOException {
        Metrics.Builder m = Metrics.newBuilder();
        m.setPids(PidsStat.newBuilder().setCurrent(value(group, "pids.current")).setLimit(value(group, "pids.max")));
        Map<String, Long> cpu = keyed(group, "cpu.stat");
        m.setCpu(CPUStat.newBuilder()
                .setUsageUsec(cpu.getOrDefault("usage_usec", 0L))
                .setUserUsec(cpu.getOrDefault("user_usec", 0L))
                .setSystemUsec(cpu.getOrDefault("system_usec", 0L))
                .setNrPeriods(cpu.getOrDefault("nr_periods", 0L))
                .setNrThrottled(cpu.getOrDefault("nr_throttled", 0L))
                .setThrottledUsec(cpu.getOrDefault("throttled_usec", 0L)));
        MemoryStat.Builder mem = MemoryStat.newBuilder();
        // memory.stat's keys are MemoryStat's field names; those the message lacks are left out
        for (Map.Entry<String, Long> e : keyed(group, "memory.stat").entrySet()) {
            FieldDescriptor fd = MemoryStat.getDescriptor().findFieldByName(e.getKey());
            if (fd != null && fd.getType() == FieldDescriptor.Type.UINT64) mem.setField(fd, e.getValue());
        }
        m.setMemory(mem.setUsage(value(group, "memory.current")).setUsageLimit(value(group, "memory.max"))
                .setSwapUsage(value(group, "memory.swap.current")).setSwapLimit(value(group, "memory.swap.max")));
        Map<String, Long> events = keyed(group, "memory.events");
        m.setMemoryEvents(MemoryEvents.newBuilder().setLow(events.getOrDefault("low", 0L))
                .setHigh(events.getOrDefault("high", 0L)).setMax(events.getOrDefault("max", 0L))
                .setOom(events.getOrDefault("oom", 0L)).setOomKill(events.getOrDefault("oom_kill", 0L)));
        m.setIo(io(group));
        m.addAllHugetlb(hugetlb(group));
        return m.build();
    }

    /** io.stat lines: {@code 8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0}. */
    private static IOStat io(Path group) throws IOException {
        IOStat.Builder io = IOStat.newBuilder();
        for (String line : lines(group, "io.stat")) {
            String[] f = line.trim().split("\\s+");
            String[] dev = f[0].split(":");
            if (dev.length != 2) continue;
            IOEntry.Builder e = IOEntry.newBuilder().setMajor(Long.parseUnsignedLong(dev[0])).setMinor(Long.parseUnsignedLong(dev[1]));
            for (int i = 1; i < f.length; i++) {
                String[] kv = f[i].split("=", 2);
                if (kv.length != 2) continue;
                long v = parse(kv[1]);
                switch (kv[0]) {
                    case "rbytes" -> e.setRbytes(v);
                    case "wbytes" -> e.setWbytes(v);
                    case "rios" -> e.setRios(v);
                    case "wios" -> e.setWios(v);
                    default -> { } // discard counters have no field
                }
            }
            io.addUsage(e);
        }
        return io.build();
    }

    /** One entry per page size, from {@code hugetlb.<size>.current} and {@code .max}. */
    private static List<HugeTlbStat> hugetlb(Path group) throws IOException {
        if (!Files.isDirectory(group)) return List.of();
        try (Stream<Path> files = Files.list(group)) {
            List<String> sizes = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("hugetlb.") && n.endsWith(".current"))
                    .map(n -> n.substring("hugetlb.".length(), n.length() - ".current".length()))
                    .sorted().toList();
            List<HugeTlbStat> out = new ArrayList<>();
            for (String size : sizes) {
                out.add(HugeTlbStat.newBuilder().setPagesize(size).setCurrent(value(group, "hugetlb." + size + ".current"))
                        .setMax(value(group, "hugetlb." + size + ".max")).build());
            }
            return out;
        }
    }

    private static List<String> lines(Path group, String file) throws IOException {
        try {
            return Files.readAllLines(group.resolve(file));
        } catch (NoSuchFileException e) {
            return List.of();
        }
    }

    /** A single-value file; 0 when absent. */
    private static long value(Path group, String file) throws IOException {
        List<String> l = lines(group, file);
        return l.isEmpty() ? 0 : parse(l.get(0).trim());
    }

    /** A "key value" per line file (cpu.stat, memory.stat, memory.events). */
    private static Map<String, Long> keyed(Path group, String file) throws IOException {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String line : lines(group, file)) {
            String[] kv = line.trim().split("\\s+");
            if (kv.length == 2) out.put(kv[0], parse(kv[1]));
        }
        return out;
    }

    private static long parse(String v) {
        return "max".equals(v) ? MAX : Long.parseUnsignedLong(v);
    }
}
