package dev.hcsshim.linux;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hcsshim.process.ExitStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/**
 * One OCI container as a {@code cow} compute system: {@link #create} = (mount rootfs +) runc
 * create, {@link #start()} = runc start, {@link #createProcess} = runc exec, {@link #close()} =
 * runc delete --force + unmount. The container has stopped when its init process exited.
 */
public final class LinuxContainer implements dev.hcsshim.cow.Container {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CONSOLE_TIMEOUT = Duration.ofSeconds(30);

    private final OciRuntime runtime;
    private final String id;
    private final Path bundle;
    private final boolean mountedRootfs;
    private final LinuxProcess init;
    private boolean closed;

    /**
     * Which stdio a new process gets. With {@code terminal} the process gets a pty (stdin and
     * stdout through its master, stderr merged) and the three booleans are ignored; otherwise
     * one pipe per requested stream and /dev/null for the others.
     */
    public record IoSpec(boolean terminal, boolean stdin, boolean stdout, boolean stderr) {
        public static final IoSpec PIPES = new IoSpec(false, true, true, true);
        public static final IoSpec TERMINAL = new IoSpec(true, false, false, false);
        public static final IoSpec NONE = new IoSpec(false, false, false, false);
    }

    /** A {@link #createProcess} configuration: an OCI process spec (JSON text) and its stdio. */
    public record ExecConfig(String processSpecJson, IoSpec io) {}

    private LinuxContainer(OciRuntime runtime, String id, Path bundle, boolean mountedRootfs, LinuxProcess init) {
        this.runtime = runtime;
        this.id = id;
        this.bundle = bundle;
        this.mountedRootfs = mountedRootfs;
        this.init = init;
    }

    /**
     * Mounts {@code rootfs} (may be empty: the bundle's rootfs is used as is) on
     * {@code <bundle>/rootfs} and runs {@code runc create}. The bundle's config.json must agree
     * with {@code io.terminal()}. On failure nothing is left mounted or created.
     */
    public static LinuxContainer create(OciRuntime runtime, String id, Path bundle,
                                        List<RootfsMounts.Mount> rootfs, IoSpec io) throws IOException {
        boolean mounted = rootfs != null && !rootfs.isEmpty();
        if (mounted) RootfsMounts.mountAll(bundle.resolve("rootfs"), rootfs);
        try {
            LinuxProcess init = launch(io, true, id, runtime,
                    (stdio, socket) -> runtime.create(id, bundle, stdio, socket));
            return new LinuxContainer(runtime, id, bundle, mounted, init);
        } catch (IOException | RuntimeException e) {
            if (mounted) {
                try {
                    RootfsMounts.unmountAll(bundle.resolve("rootfs"));
                } catch (IOException u) {
                    e.addSuppressed(u);
                }
            }
            throw e;
        }
    }

    private interface Launcher {
        OciRuntime.Started run(OciRuntime.Stdio stdio, Path consoleSocket) throws IOException;
    }

    private static LinuxProcess launch(IoSpec io, boolean init, String id, OciRuntime runtime, Launcher l)
            throws IOException {
        if (io.terminal()) {
            try (ConsoleSocket cs = ConsoleSocket.listen(null)) {
                OciRuntime.Started s = l.run(OciRuntime.Stdio.NULL, cs.path());
                int master;
                try {
                    master = cs.receiveMaster(CONSOLE_TIMEOUT);
                } catch (IOException e) {
                    // runc succeeded: take down what it made, the watcher reaps it
                    try {
                        if (init) runtime.delete(id, true);
                        else runtime.watcher().signal(s.pid(), 9);
                    } catch (IOException cleanup) {
                        e.addSuppressed(cleanup);
                    }
                    throw e;
                }
                return new LinuxProcess(runtime, id, init, s, null, master);
            }
        }
        StdioPipes pipes = new StdioPipes(io.stdin(), io.stdout(), io.stderr());
        try {
            OciRuntime.Started s = l.run(pipes.containerStdio(), null);
            return new LinuxProcess(runtime, id, init, s, pipes, -1);
        } catch (IOException | RuntimeException e) {
            pipes.close();
            throw e;
        } finally {
            // only runc and the container may hold the container ends, or EOF never comes
            pipes.closeContainerEnds();
        }
    }

    @Override
    public String id() {
        return id;
    }

    public Path bundle() {
        return bundle;
    }

    public OciRuntime runtime() {
        return runtime;
    }

    /** The container's init process (created, not yet started, until {@link #start()}). */
    public LinuxProcess init() {
        return init;
    }

    @Override
    public void start() throws IOException {
        runtime.start(id);
    }

    /**
     * Starts an extra process (runc exec). {@code config} is an {@link ExecConfig}, or an OCI
     * process spec (JSON String or Jackson node) with stdio pipes for all three streams, or a
     * terminal when the spec says {@code "terminal": true}.
     */
    @Override
    public LinuxProcess createProcess(Object config) throws IOException {
        ExecConfig ec = switch (config) {
            case ExecConfig e -> e;
            case String s -> new ExecConfig(s, JSON.readTree(s).path("terminal").asBoolean() ? IoSpec.TERMINAL : IoSpec.PIPES);
            case JsonNode n -> new ExecConfig(JSON.writeValueAsString(n),
                    n.path("terminal").asBoolean() ? IoSpec.TERMINAL : IoSpec.PIPES);
            default -> throw new IllegalArgumentException("unsupported process config: " + config.getClass());
        };
        return launch(ec.io(), false, id, runtime,
                (stdio, socket) -> runtime.exec(id, ec.processSpecJson(), stdio, socket));
    }

    @Override
    public String os() {
        return "linux";
    }

    @Override
    public boolean isOci() {
        return true;
    }

    /** runc state (raw JSON: id, pid, status, bundle, created, ...). Property types are ignored. */
    @Override
    public Object properties(String... propertyTypes) throws IOException {
        return runtime.state(id).raw();
    }

    /** A JSON object with "Statistics" (runc stats data) and/or "ProcessList" (pids) as asked; both if none. */
    @Override
    public Object propertiesV2(String... propertyTypes) throws IOException {
        ObjectNode out = JSON.createObjectNode();
        List<String> types = propertyTypes.length == 0 ? List.of("Statistics", "ProcessList") : List.of(propertyTypes);
        if (types.contains("Statistics")) out.set("Statistics", runtime.stats(id).raw());
        if (types.contains("ProcessList")) out.set("ProcessList", JSON.valueToTree(runtime.ps(id)));
        return out;
    }

    public OciRuntime.State state() throws IOException {
        return runtime.state(id);
    }

    public OciStats stats() throws IOException {
        return runtime.stats(id);
    }

    public List<Integer> pids() throws IOException {
        return runtime.ps(id);
    }

    public void pause() throws IOException {
        runtime.pause(id);
    }

    public void resume() throws IOException {
        runtime.resume(id);
    }

    /** See {@link OciRuntime#checkpoint}. */
    public void checkpoint(Path imagePath, Path workPath, boolean leaveRunning) throws IOException {
        runtime.checkpoint(id, imagePath, workPath, leaveRunning);
    }

    /** Sends a signal to the init process, or to all processes. */
    public void kill(int signal, boolean all) throws IOException {
        runtime.kill(id, signal, all);
    }

    /** SIGTERM to init. */
    @Override
    public void shutdown() throws IOException {
        init.signal(15);
    }

    /** SIGKILL to init (which takes the pid namespace down with it). */
    @Override
    public void terminate() throws IOException {
        init.signal(9);
    }

    @Override
    public void waitFor() throws IOException, InterruptedException {
        init.waitFor();
    }

    @Override
    public CompletionStage<Void> stopped() {
        return init.exited();
    }

    @Override
    public IOException waitError() {
        CompletableFuture<ExitStatus> f = init.exitStatus();
        if (!f.isDone() || !f.isCompletedExceptionally()) return null;
        try {
            f.get();
            return null;
        } catch (ExecutionException e) {
            return e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException | java.util.concurrent.CancellationException e) {
            return new IOException(e);
        }
    }

    /** Updates resources: an OCI LinuxResources document as JSON text or a Jackson node. */
    @Override
    public void modify(Object config) throws IOException {
        String json = config instanceof String s ? s : JSON.writeValueAsString(config);
        runtime.update(id, json);
    }

    /** runc delete (no force): for a stopped container. */
    public void delete() throws IOException {
        runtime.delete(id, false);
    }

    /**
     * runc delete --force (kills what still runs), unmounts the rootfs if we mounted it, closes
     * the init process's stdio. Idempotent; a container already deleted is fine.
     */
    @Override
    public synchronized void close() throws IOException {
        if (closed) return;
        closed = true;
        IOException err = null;
        try {
            runtime.delete(id, true);
        } catch (OciRuntimeException e) {
            if (e.kind() != OciRuntimeException.Kind.NOT_FOUND) err = e;
        }
        if (mountedRootfs) {
            try {
                RootfsMounts.unmountAll(bundle.resolve("rootfs"));
            } catch (IOException e) {
                if (err == null) err = e;
                else err.addSuppressed(e);
            }
        }
        init.close();
        if (err != null) throw err;
    }
}
