package dev.hcsshim.linux;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * One {@code runc events --stats} sample (cgroup v1 names). Missing values are 0.
 *
 * @param raw the whole {@code data} object as runc printed it, for fields not modelled here
 */
public record OciStats(Cpu cpu, Memory memory, Pids pids, Blkio blkio, JsonNode raw) {

    /** CPU accounting in nanoseconds; throttling in periods and nanoseconds. */
    public record Cpu(long total, long kernel, long user, List<Long> perCpu,
                      long periods, long throttledPeriods, long throttledTime) {}

    /** A usage/limit/max/failcnt quadruple as cgroup v1 exposes it. */
    public record MemoryEntry(long usage, long limit, long max, long failcnt) {}

    /** Memory: {@code raw} holds memory.stat (cache, rss, ...) by name. */
    public record Memory(long cache, MemoryEntry usage, MemoryEntry swap, MemoryEntry kernel,
                         MemoryEntry kernelTcp, java.util.Map<String, Long> raw) {}

    public record Pids(long current, long limit) {}

    /** One blkio counter: device, operation (Read/Write/Sync/Async/Total...), value. */
    public record BlkioEntry(long major, long minor, String op, long value) {}

    public record Blkio(List<BlkioEntry> ioServiceBytesRecursive, List<BlkioEntry> ioServicedRecursive,
                        List<BlkioEntry> ioQueuedRecursive, List<BlkioEntry> ioServiceTimeRecursive,
                        List<BlkioEntry> ioWaitTimeRecursive, List<BlkioEntry> ioMergedRecursive,
                        List<BlkioEntry> ioTimeRecursive, List<BlkioEntry> sectorsRecursive) {}

    /** Parses the {@code data} object of a stats event. */
    static OciStats parse(JsonNode data) {
        JsonNode c = data.path("cpu");
        List<Long> per = new ArrayList<>();
        c.path("usage").path("percpu").forEach(n -> per.add(n.asLong()));
        Cpu cpu = new Cpu(c.path("usage").path("total").asLong(), c.path("usage").path("kernel").asLong(),
                c.path("usage").path("user").asLong(), List.copyOf(per),
                c.path("throttling").path("periods").asLong(),
                c.path("throttling").path("throttledPeriods").asLong(),
                c.path("throttling").path("throttledTime").asLong());
        JsonNode m = data.path("memory");
        java.util.Map<String, Long> raw = new java.util.TreeMap<>();
        m.path("raw").properties().forEach(e -> raw.put(e.getKey(), e.getValue().asLong()));
        Memory mem = new Memory(m.path("cache").asLong(), entry(m.path("usage")), entry(m.path("swap")),
                entry(m.path("kernel")), entry(m.path("kernelTCP")), raw);
        Pids pids = new Pids(data.path("pids").path("current").asLong(), data.path("pids").path("limit").asLong());
        JsonNode b = data.path("blkio");
        Blkio blkio = new Blkio(blk(b, "ioServiceBytesRecursive"), blk(b, "ioServicedRecursive"),
                blk(b, "ioQueueRecursive"), blk(b, "ioServiceTimeRecursive"), blk(b, "ioWaitTimeRecursive"),
                blk(b, "ioMergedRecursive"), blk(b, "ioTimeRecursive"), blk(b, "sectorsRecursive"));
        return new OciStats(cpu, mem, pids, blkio, data);
    }

    private static MemoryEntry entry(JsonNode n) {
        return new MemoryEntry(n.path("usage").asLong(), n.path("limit").asLong(), n.path("max").asLong(),
                n.path("failcnt").asLong());
    }

    private static List<BlkioEntry> blk(JsonNode b, String name) {
        List<BlkioEntry> out = new ArrayList<>();
        b.path(name).forEach(n -> out.add(new BlkioEntry(n.path("major").asLong(), n.path("minor").asLong(),
                n.path("op").asText(""), n.path("value").asLong())));
        return List.copyOf(out);
    }
}
