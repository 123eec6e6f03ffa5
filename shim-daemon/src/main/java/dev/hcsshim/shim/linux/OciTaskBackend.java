package dev.hcsshim.shim.linux;

import com.google.protobuf.Any;
import dev.hcsshim.linux.ExitWatcher;
import dev.hcsshim.linux.OciRuntime;
import dev.hcsshim.linux.OomWatcher;
import dev.hcsshim.linux.RootfsMounts;
import dev.hcsshim.process.ExitStatus;
import dev.hcsshim.proto.types.Mount;
import dev.hcsshim.shim.sharing.TaskGrouping;
import dev.hcsshim.shim.stdio.ProcessStdio;
import dev.hcsshim.shim.task.CreateSpec;
import dev.hcsshim.shim.task.Errdefs;
import dev.hcsshim.shim.task.StdioSpec;
import dev.hcsshim.shim.task.TaskBackend;
import dev.hcsshim.shim.task.TypeUrls;
import dev.hcsshim.stdio.CopyAfterExit;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Linux compute backend: one OCI container per task, driven through the runtime CLI (runc
 * by default; crun when the task's annotations or the runtime options' default annotations say
 * {@value #RUNTIME_ANNOTATION}=crun), with its own --root per namespace.
 */
public final class OciTaskBackend implements TaskBackend {
    private static final Logger log = LoggerFactory.getLogger(OciTaskBackend.class);
    public static final String RUNTIME_ANNOTATION = "io.containerd.runhcs.v1.oci-runtime";
    /** How long output relays may sit idle after their process exited before they are cut. */

    private final ExitWatcher watcher;
    private final Map<String, OciRuntime> runtimes = new ConcurrentHashMap<>();
    private OomWatcher oomWatcher;

    public OciTaskBackend(ExitWatcher watcher) {
        this.watcher = watcher;
    }

    private OciRuntime runtime(String name, String namespace) throws IOException {
        String key = name + "/" + namespace;
        OciRuntime rt = runtimes.get(key);
        if (rt == null) {
            rt = OciRuntime.forNamespace(name, namespace, watcher);
            runtimes.put(key, rt);
        }
        return rt;
    }

    @Override
    public Task create(CreateSpec spec) throws IOException {
        Path bundle = spec.bundle();
        Path config = bundle.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            throw Errdefs.invalidArgument("bundle %s has no config.json", bundle);
        }
        String runtimeName = runtimeName(spec, config);
        if (!List.of("runc", "crun").contains(runtimeName) && !runtimeName.startsWith("/")) {
            throw Errdefs.invalidArgument("unsupported OCI runtime %s (want runc, crun or an absolute path)", runtimeName);
        }
        OciRuntime rt = runtime(runtimeName, spec.namespace());
        rt.adopt(spec.id(), bundle); // the cleanup of a failed create writes there too
        Path rootfs = bundle.resolve("rootfs");
        boolean mounted = false;
        ProcessStdio io = null;
        Duration copyAfterExit = copyAfterExitTimeout(spec.options());
        try {
            if (!spec.rootfs().isEmpty()) {
                Files.createDirectories(rootfs);
                RootfsMounts.mountAll(rootfs, spec.rootfs().stream()
                        .map(m -> new RootfsMounts.Mount(m.getType(), m.getSource(), m.getOptionsList()))
                        .toList());
                mounted = true;
            }
            io = ProcessStdio.forTask(spec.id(), spec.stdio(), spec.namespace(), spec.id(), consoleDir(), copyAfterExit);
            OciRuntime.Started started = rt.create(spec.id(), bundle, io.containerStdio(), io.consoleSocket());
            io.started();
            OciProcess init = new OciProcess(spec.id(), started, io, rt, spec.id());
            log.debug("runtime {} created {} with init pid {}", runtimeName, spec.id(), started.pid());
            return new OciTask(spec.id(), bundle, rt, init, spec.namespace(), this::oomWatcher, copyAfterExit);
        } catch (IOException | RuntimeException e) {
            if (io != null) {
                io.close();
            }
            forceDelete(rt, spec.id());
            if (mounted) {
                unmountQuietly(rootfs);
            }
            throw e;
        }
    }

    /** One OOM watcher thread for the daemon, started with the first task. */
    private synchronized OomWatcher oomWatcher() throws IOException {
        if (oomWatcher == null) {
            oomWatcher = new OomWatcher();
        }
        return oomWatcher;
    }

    @Override
    public String resourcesType() {
        return TypeUrls.LINUX_RESOURCES;
    }

    @Override
    public void cleanupAfterCrash(String namespace, String id, Path bundle) throws IOException {
        String runtimeName = "runc";
        try {
            runtimeName = runtimeFromAnnotations(TaskGrouping.annotations(bundle.resolve("config.json")), runtimeName);
        } catch (IOException | RuntimeException e) {
            log.debug("no readable config.json in {}: {}", bundle, e.toString());
        }
        OciRuntime rt = runtime(runtimeName, namespace);
        rt.adopt(id, bundle); // what a killed daemon's runtime calls left goes with the container
        forceDelete(rt, id);
        unmountQuietly(bundle.resolve("rootfs"));
    }

    /** Console sockets live beside the shim sockets: root-only, and short enough for sun_path. */
    static Path consoleDir() throws IOException {
        Path dir = dev.hcsshim.transport.UnixSockets.shimSocketDir();
        Files.createDirectories(dir);
        return dir;
    }

    private static String runtimeName(CreateSpec spec, Path config) throws IOException {
        String fromOptions = spec.options() == null ? null : spec.options().getDefaultContainerAnnotationsMap().get(RUNTIME_ANNOTATION);
        return runtimeFromAnnotations(TaskGrouping.annotations(config), fromOptions == null ? "runc" : fromOptions);
    }

    private static String runtimeFromAnnotations(Map<String, String> annotations, String fallback) {
        String name = annotations.get(RUNTIME_ANNOTATION);
        return name == null || name.isEmpty() ? fallback : name;
    }

    static void forceDelete(OciRuntime rt, String id) {
        try {
            rt.delete(id, true);
        } catch (IOException | RuntimeException e) {
            log.debug("runtime delete {}: {}", id, e.toString());
        }
    }

    static void unmountQuietly(Path rootfs) {
        try {
            RootfsMounts.unmountAll(rootfs);
        } catch (IOException | RuntimeException e) {
            log.warn("unmount {}: {}", rootfs, e.toString());
        }
    }

    /** One OCI container. */
    static final class OciTask implements TaskBackend.Task {
        private final String id;
        private final Path bundle;
        private final OciRuntime rt;
        private final OciProcess init;
        private final String namespace;
        private final OomSource oomSource;
        private final Duration copyAfterExit;
        private AutoCloseable oomWatch;

        OciTask(String id, Path bundle, OciRuntime rt, OciProcess init, String namespace, OomSource oomSource,
                Duration copyAfterExit) {
            this.copyAfterExit = copyAfterExit;
            this.id = id;
            this.bundle = bundle;
            this.rt = rt;
            this.init = init;
            this.namespace = namespace;
            this.oomSource = oomSource;
        }

        @Override
        public synchronized void watchOom(Runnable onOom) throws IOException {
            oomWatch = oomSource.get().watch(init.pid(), onOom).orElse(null);
        }

        @Override
        public TaskBackend.Process init() {
            return init;
        }

        @Override
        public void start() throws IOException {
            rt.start(id);
        }

        @Override
        public TaskBackend.Process exec(String execId, StdioSpec stdio, byte[] processSpecJson) throws IOException {
            ProcessStdio io = ProcessStdio.forTask(id + "-" + execId, stdio, namespace, id, consoleDir(), copyAfterExit);
            try {
                OciRuntime.Started started = rt.exec(id, new String(processSpecJson, StandardCharsets.UTF_8),
                        io.containerStdio(), io.consoleSocket());
                io.started();
                return new OciProcess(id + "/" + execId, started, io, rt, null);
            } catch (IOException | RuntimeException e) {
                io.close();
                throw e;
            }
        }

        @Override
        public void kill(int signal, boolean all) throws IOException {
            rt.kill(id, signal, all);
        }

        @Override
        public void pause() throws IOException {
            rt.pause(id);
        }

        @Override
        public void resume() throws IOException {
            rt.resume(id);
        }

        @Override
        public void update(byte[] resourcesJson) throws IOException {
            rt.update(id, new String(resourcesJson, StandardCharsets.UTF_8));
        }

        @Override
        public Any execDetails(String execId, int pid) {
            return TypeUrls.pack(dev.hcsshim.proto.runc.options.ProcessDetails.newBuilder().setExecId(execId).build());
        }

        @Override
        public List<Integer> pids() throws IOException {
            return rt.ps(id);
        }

        @Override
        public Any stats() throws IOException {
            return CgroupMetrics.sample(rt, id, init.pid());
        }

        @Override
        public void checkpoint(Path imagePath, Any options) throws IOException {
            Path work = Files.createTempDirectory(bundle, "criu-work");
            rt.checkpoint(id, imagePath, work, false);
        }

        @Override
        public void delete() throws IOException {
            synchronized (this) {
                if (oomWatch != null) {
                    try {
                        oomWatch.close();
                    } catch (Exception e) {
                        log.debug("closing OOM watch of {}: {}", id, e.toString());
                    }
                    oomWatch = null;
                }
            }
            try {
                rt.delete(id, true);
            } catch (IOException e) {
                log.debug("runtime delete {}: {}", id, e.toString());
            }
            unmountQuietly(bundle.resolve("rootfs"));
        }
    }

    /** The task's runtime option if set, else the daemon's default ({@link CopyAfterExit#defaultTimeout()}). */
    static Duration copyAfterExitTimeout(dev.hcsshim.proto.runhcs.options.Options options) {
        int ms = options == null ? 0 : options.getCopyAfterExitTimeoutInMs();
        return ms > 0 ? Duration.ofMillis(Integer.toUnsignedLong(ms)) : CopyAfterExit.defaultTimeout();
    }

    /** Where a task gets the daemon's OOM watcher from (created on first use). */
    @FunctionalInterface
    interface OomSource {
        OomWatcher get() throws IOException;
    }

    /** A container process (init or exec) with its stdio. */
    static final class OciProcess implements TaskBackend.Process {
        private final String name;
        private final int pid;
        private final ProcessStdio io;
        private final ExitWatcher watcher;
        private final CompletableFuture<ExitStatus> exited;

        OciProcess(String name, OciRuntime.Started started, ProcessStdio io, OciRuntime rt, String initOf) {
            this.name = name;
            this.pid = started.pid();
            this.io = io;
            this.watcher = rt.watcher();
            // The exit counts once the output it wrote has been relayed.
            this.exited = started.exit().thenCompose(status -> io.drained().thenApply(v -> status));
        }

        @Override
        public int pid() {
            return pid;
        }

        @Override
        public CompletionStage<ExitStatus> exited() {
            return exited;
        }

        /**
         * Through the process's pidfd, so a pid reused after the reap is never hit: once the
         * process is reaped (or is a zombie) the signal is answered NotFound.
         */
        @Override
        public void signal(int signal) throws IOException {
            if (!watcher.signal(pid, signal)) {
                throw Errdefs.notFound("%s: process already finished", name);
            }
        }

        @Override
        public void closeStdin() {
            io.closeStdin();
        }

        @Override
        public void resize(int width, int height) throws IOException {
            io.resize(width, height);
        }

        @Override
        public void close() {
            io.close();
        }
    }
}
