package dev.hcsshim.linux;

import static dev.hcsshim.linux.LinuxTestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.errdefs.ErrorKind;
import dev.hcsshim.fixtures.BusyboxBundle;
import dev.hcsshim.process.ExitStatus;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Per-test runc plumbing over {@link OciRuntime}: a private runc root, processes with their
 * stdio pipes or pty master, container bookkeeping and leak checks.
 */
@SuppressWarnings("try")
final class RuncFixture implements AutoCloseable {
    static final String CGROUP_PARENT = "hcsshim-test";
    private static final Duration CONSOLE_TIMEOUT = Duration.ofSeconds(30);
    final OciRuntime runtime;
    private final Path root;
    private final List<Container> containers = new ArrayList<>();
    private final List<Proc> processes = new ArrayList<>();
    private final List<SpliceRelay> relays = new ArrayList<>();
    private final List<Collector> sinks = new ArrayList<>();
    private final int fdsBefore;

    /** The stdio a new process gets: a pty, or a pipe per requested stream (/dev/null otherwise). */
    record Io(boolean terminal, boolean stdin, boolean stdout, boolean stderr) {
        static final Io PIPES = new Io(false, true, true, true);
        static final Io OUT = new Io(false, false, true, false);
        static final Io OUT_ERR = new Io(false, false, true, true);
        static final Io TERMINAL = new Io(true, false, false, false);
        static final Io NONE = new Io(false, false, false, false);
    }

    /** A started runc process: its pid and exit, and the shim ends of its stdio. */
    record Proc(OciRuntime.Started started, StdioPipes pipes, int ptyMaster) {
        ExitStatus exit() throws Exception {
            return started.exit().get(30, TimeUnit.SECONDS);
        }

        int pid() {
            return started.pid();
        }

        void close() {
            if (pipes != null) pipes.close();
            Fds.closeQuietly(ptyMaster);
        }
    }

    record Container(String id, Path bundle, boolean mountedRootfs, Proc init) {}

    RuncFixture() throws Exception {
        ExitWatcher.shared();
        RelayLoop.shared(); // process-lifetime fds, like the exit watcher's
        root = Files.createTempDirectory("runc-root");
        runtime = new OciRuntime("runc", root, false, ExitWatcher.shared());
        fdsBefore = Fds.openFdCount();
    }

    BusyboxBundle.Builder bundle(Path dir, String id) {
        return BusyboxBundle.builder(dir).cgroupsPath("/" + CGROUP_PARENT + "/" + id);
    }

    /** Mounts {@code rootfs} (if any) on the bundle's rootfs and runs runc create. */
    Container create(String id, BusyboxBundle b, Io io, List<RootfsMounts.Mount> rootfs) throws Exception {
        boolean mounted = !rootfs.isEmpty();
        if (mounted) RootfsMounts.mountAll(b.rootfs(), rootfs);
        Proc init = launch(io, (stdio, socket) -> runtime.create(id, b.dir(), stdio, socket));
        Container c = new Container(id, b.dir(), mounted, init);
        containers.add(c);
        return c;
    }

    /** runc exec of a process spec (JSON). */
    Proc exec(String id, String processSpecJson, Io io) throws Exception {
        return launch(io, (stdio, socket) -> runtime.exec(id, processSpecJson, stdio, socket));
    }

    private interface Launcher {
        OciRuntime.Started run(OciRuntime.Stdio stdio, Path consoleSocket) throws IOException;
    }

    private Proc launch(Io io, Launcher launcher) throws Exception {
        Proc p;
        if (io.terminal()) {
            try (ConsoleSocket cs = ConsoleSocket.listen(null)) {
                OciRuntime.Started s = launcher.run(OciRuntime.Stdio.NULL, cs.path());
                p = new Proc(s, null, cs.receiveMaster(CONSOLE_TIMEOUT));
            }
        } else {
            StdioPipes pipes = new StdioPipes(io.stdin(), io.stdout(), io.stderr());
            try {
                p = new Proc(launcher.run(pipes.containerStdio(), null), pipes, -1);
            } catch (IOException | RuntimeException e) {
                pipes.close();
                throw e;
            } finally {
                pipes.closeContainerEnds(); // only runc and the container may hold them, or EOF never comes
            }
        }
        processes.add(p);
        return p;
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
        return new String(sink.bytes.get(30, TimeUnit.SECONDS));
    }

    /** Deletes every container, stops relays and checks that nothing leaked. */
    @Override
    public void close() throws Exception {
        for (Container c : containers) {
            try {
                runtime.delete(c.id(), true);
            } catch (OciRuntimeException e) {
                if (e.kind() != ErrorKind.NOT_FOUND) throw e;
            }
            // the init process is reaped once runc delete --force killed it
            c.init().started().exit().handle((s, t) -> null).get(30, TimeUnit.SECONDS);
            if (c.mountedRootfs()) RootfsMounts.unmountAll(c.bundle().resolve("rootfs"));
            assertTrue(!new File("/sys/fs/cgroup/memory/" + CGROUP_PARENT + "/" + c.id()).exists(),
                    "cgroup of " + c.id() + " left behind");
        }
        for (SpliceRelay r : relays) r.close();
        for (Collector s : sinks) s.close();
        for (Proc p : processes) p.close();
        await("relays to leave the loop", Duration.ofSeconds(10), () -> LinuxTestSupport.relayInterests() == 0);
        String[] left = root.toFile().list();
        assertEquals(0, left == null ? 0 : left.length, "runc state left in " + root);
        OciRuntime.deleteTree(root);
        await("fds to be closed (had " + fdsBefore + ")", Duration.ofSeconds(10), () -> Fds.openFdCount() <= fdsBefore);
    }
}
