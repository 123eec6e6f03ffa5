package dev.hcsshim.linux;

import static dev.hcsshim.linux.LinuxTestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.fixtures.BusyboxBundle;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Per-test runc plumbing: a private runc root, container bookkeeping and leak checks. */
final class RuncFixture implements AutoCloseable {
    static final String CGROUP_PARENT = "hcsshim-test";
    final OciRuntime runtime;
    private final Path root;
    private final List<LinuxContainer> containers = new ArrayList<>();
    private final List<SpliceRelay> relays = new ArrayList<>();
    private final List<Collector> sinks = new ArrayList<>();
    private final int fdsBefore;

    RuncFixture() throws Exception {
        ExitWatcher.shared();
        root = Files.createTempDirectory("runc-root");
        runtime = new OciRuntime("runc", root, false, ExitWatcher.shared());
        fdsBefore = Fds.openFdCount();
    }

    BusyboxBundle.Builder bundle(Path dir, String id) {
        return BusyboxBundle.builder(dir).cgroupsPath("/" + CGROUP_PARENT + "/" + id);
    }

    LinuxContainer create(String id, BusyboxBundle b, LinuxContainer.IoSpec io, List<RootfsMounts.Mount> mounts)
            throws Exception {
        LinuxContainer c = LinuxContainer.create(runtime, id, b.dir(), mounts, io);
        containers.add(c);
        return c;
    }

    /** Relays fd into a new collector pipe; closes the collector's writer at EOF. */
    Collector collect(String name, int fd) throws Exception {
        Collector sink = new Collector(true);
        sinks.add(sink);
        SpliceRelay r = SpliceRelay.start(name, fd, sink.writeFd);
        relays.add(r);
        r.done().whenComplete((v, t) -> sink.closeWriter());
        return sink;
    }

    String text(Collector sink) throws Exception {
        return new String(sink.bytes.get(30, java.util.concurrent.TimeUnit.SECONDS));
    }

    /** Deletes every container, stops relays and checks that nothing leaked. */
    @Override
    public void close() throws Exception {
        for (LinuxContainer c : containers) {
            c.close();
            // the init process is reaped once runc delete --force killed it
            c.init().exitStatus().handle((s, t) -> null).get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(!new File("/sys/fs/cgroup/memory/" + CGROUP_PARENT + "/" + c.id()).exists(),
                    "cgroup of " + c.id() + " left behind");
        }
        for (SpliceRelay r : relays) r.close();
        for (Collector s : sinks) s.close();
        await("relay threads to end", Duration.ofSeconds(10), () -> LinuxTestSupport.liveRelayThreads() == 0);
        String[] left = root.toFile().list();
        assertEquals(0, left == null ? 0 : left.length, "runc state left in " + root);
        OciRuntime.deleteTree(root);
        await("fds to be closed (had " + fdsBefore + ")", Duration.ofSeconds(10), () -> Fds.openFdCount() <= fdsBefore);
    }
}
