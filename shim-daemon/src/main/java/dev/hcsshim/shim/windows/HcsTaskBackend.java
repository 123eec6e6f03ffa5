package dev.hcsshim.shim.windows;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Any;
import com.google.protobuf.Timestamp;
import dev.hcsshim.hcs.Hcs;
import dev.hcsshim.hcsoci.Cmd;
import dev.hcsshim.hcsoci.ExitError;
import dev.hcsshim.hcsoci.ProcessSpec;
import dev.hcsshim.hcsoci.Resources;
import dev.hcsshim.process.ExitStatus;
import dev.hcsshim.proto.runhcs.options.ProcessDetails;
import dev.hcsshim.proto.runhcs.stats.Statistics;
import dev.hcsshim.proto.runhcs.stats.WindowsContainerMemoryStatistics;
import dev.hcsshim.proto.runhcs.stats.WindowsContainerProcessorStatistics;
import dev.hcsshim.proto.runhcs.stats.WindowsContainerStatistics;
import dev.hcsshim.proto.runhcs.stats.WindowsContainerStorageStatistics;
import dev.hcsshim.shim.task.CreateSpec;
import dev.hcsshim.shim.task.Errdefs;
import dev.hcsshim.shim.task.StdioSpec;
import dev.hcsshim.shim.task.TaskBackend;
import dev.hcsshim.shim.task.TypeUrls;
import dev.hcsshim.transport.PipeDialer;
import dev.hcsshim.windows.HcsProcess;
import dev.hcsshim.windows.HcsSystem;
import dev.hcsshim.windows.NamedPipes;
import dev.hcsshim.windows.NpipeIO;
import dev.hcsshim.windows.schema.Properties;
import dev.hcsshim.windows.schema.SignalProcessOptionsWCOW;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Windows compute backend: one process-isolated HCS container per task (hcsshim's hcsTask /
 * hcsExec for WCOW without a utility VM). Create makes the compute system and opens the init's
 * upstream pipes; Start starts the system and then creates the init process in it, as HCS has
 * no "created but not started" process.
 */
public final class HcsTaskBackend implements TaskBackend {
    private static final Logger log = LoggerFactory.getLogger(HcsTaskBackend.class);
    static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** hcsshim's Windows signal numbers (its signal map), then the two Linux ones orchestrators send. */
    static final int CTRL_C = 0, CTRL_BREAK = 1, CTRL_CLOSE = 2, CTRL_LOGOFF = 5, CTRL_SHUTDOWN = 6;
    static final int SIGKILL = 9, SIGTERM = 15;

    private final PipeDialer dialer;
    private final Duration copyAfterExit;
    private final Duration stopTimeout;

    /** On Windows: upstream stdio over kernel32 named pipes. */
    public HcsTaskBackend() {
        this(NamedPipes.DIALER, Duration.ofSeconds(2), Duration.ofSeconds(30));
    }

    /**
     * @param dialer connects to containerd's stdio pipes
     * @param copyAfterExit how long output relays may run after their process exited
     * @param stopTimeout how long delete waits for the system to stop after terminate
     */
    public HcsTaskBackend(PipeDialer dialer, Duration copyAfterExit, Duration stopTimeout) {
        this.dialer = dialer;
        this.copyAfterExit = copyAfterExit;
        this.stopTimeout = stopTimeout;
    }

    @Override
    public Task create(CreateSpec spec) throws IOException {
        Path config = spec.bundle().resolve("config.json");
        if (!Files.isRegularFile(config)) {
            throw Errdefs.invalidArgument("bundle %s has no config.json", spec.bundle());
        }
        WcowDocument.Parsed parsed = WcowDocument.build(spec.id(), Files.readAllBytes(config), spec.rootfs(), JSON);
        ProcessSpec process = processSpec(spec.id(), parsed.process(), spec.stdio().terminal());
        NpipeIO io = openIo(spec.id(), spec.stdio());
        HcsSystem system;
        try {
            system = HcsSystem.createComputeSystem(spec.id(), parsed.document());
        } catch (IOException e) {
            io.close();
            throw HcsStatus.of("create compute system " + spec.id(), e);
        } catch (RuntimeException e) {
            io.close();
            throw e;
        }
        log.debug("created compute system {} with layers {}", spec.id(), parsed.layerFolders());
        // What the container holds until delete (hcsoci's Resources): the network namespace it
        // joins (made by the CNI, not by us: kept) and containerd's stdio for its init.
        Resources resources = new Resources(spec.id());
        if (!parsed.networkNamespace().isEmpty()) resources.setNetNs(parsed.networkNamespace(), false, false);
        resources.add(io::close);
        return new HcsTask(spec.id(), system, new HcsProc(spec.id(), spec.id(), process, io), resources);
    }

    /**
     * The utility VM a task runs in, which diag exec goes into: none, as every task here is
     * process-isolated (WcowDocument refuses Hyper-V isolation).
     */
    public dev.hcsshim.cow.ProcessHost utilityVm(String taskId) {
        return null;
    }

    @Override
    public String resourcesType() {
        return TypeUrls.WINDOWS_RESOURCES;
    }

    @Override
    public void cleanupAfterCrash(String namespace, String id, Path bundle) throws IOException {
        HcsSystem system;
        try {
            system = HcsSystem.openComputeSystem(id);
        } catch (IOException e) {
            if (Hcs.isNotExist(e)) return; // nothing left: the goal is reached
            throw HcsStatus.of("open compute system " + id, e);
        }
        try {
            system.terminate();
        } catch (IOException e) {
            log.warn("terminate {} after crash: {}", id, e.toString());
        } finally {
            system.close();
        }
    }

    private NpipeIO openIo(String name, StdioSpec stdio) throws IOException {
        try {
            return NpipeIO.open(dialer, stdio.stdin(), stdio.stdout(), stdio.stderr(), stdio.terminal());
        } catch (IOException e) {
            throw Errdefs.invalidArgument("%s: cannot connect to upstream stdio: %s", name, e.getMessage());
        }
    }

    static ProcessSpec processSpec(String name, JsonNode process, boolean terminal) {
        ProcessSpec p;
        try {
            p = JSON.treeToValue(process, ProcessSpec.class);
        } catch (IOException e) {
            throw Errdefs.invalidArgument("%s: invalid OCI process: %s", name, e.getMessage());
        }
        if (p == null || (p.args.isEmpty() && (p.commandLine == null || p.commandLine.isEmpty()))) {
            throw Errdefs.invalidArgument("%s: process has no args or commandLine", name);
        }
        if (p.cwd == null || p.cwd.isEmpty()) p.cwd = "C:\\";
        // The request's terminal flag is what containerd wired the stdio for.
        p.terminal = terminal;
        return p;
    }

    /** A Linux-style signal as HCS's: null means terminate. */
    static SignalProcessOptionsWCOW wcowSignal(int signal) {
        String name = switch (signal) {
            case SIGKILL -> null;
            case CTRL_C -> "CtrlC";
            case CTRL_BREAK -> "CtrlBreak";
            case CTRL_CLOSE -> "CtrlClose";
            case CTRL_LOGOFF -> "CtrlLogOff";
            case CTRL_SHUTDOWN, SIGTERM -> "CtrlShutdown";
            default -> throw Errdefs.invalidArgument("signal %d has no Windows equivalent", signal);
        };
        return name == null ? null : new SignalProcessOptionsWCOW(name);
    }

    /** One compute system. */
    final class HcsTask implements TaskBackend.Task {
        private final String id;
        private final HcsSystem system;
        private final HcsProc init;
        private final Map<String, HcsProc> execs = new ConcurrentHashMap<>();
        private final Resources resources;

        HcsTask(String id, HcsSystem system, HcsProc init, Resources resources) {
            this.id = id;
            this.system = system;
            this.init = init;
            this.resources = resources;
        }

        /** What the container still holds; empty once deleted. */
        Resources resources() {
            return resources;
        }

        /**
         * Process-isolated Windows containers have no OOM killer to report: a job object's memory
         * limit fails the allocation inside the container instead, so there is no TaskOOM.
         */
        @Override
        public void watchOom(Runnable onOom) {}

        @Override
        public TaskBackend.Process init() {
            return init;
        }

        @Override
        public void start() throws IOException {
            try {
                system.start();
            } catch (IOException e) {
                throw HcsStatus.of("start compute system " + id, e);
            }
            init.start(system);
        }

        @Override
        public TaskBackend.Process exec(String execId, StdioSpec stdio, byte[] processSpecJson) throws IOException {
            JsonNode node;
            try {
                node = JSON.readTree(processSpecJson);
            } catch (IOException e) {
                throw Errdefs.invalidArgument("exec %s: process spec is not JSON: %s", execId, e.getMessage());
            }
            ProcessSpec spec = processSpec("exec " + execId, node, stdio.terminal());
            HcsProc p = new HcsProc(id, id + "/" + execId, spec, openIo(execId, stdio));
            p.start(system);
            execs.put(execId, p);
            p.exited().whenComplete((s, e) -> execs.remove(execId, p));
            return p;
        }

        @Override
        public void kill(int signal, boolean all) throws IOException {
            if (all) {
                for (HcsProc p : execs.values()) {
                    try {
                        p.signal(signal);
                    } catch (IOException | RuntimeException e) {
                        log.debug("kill --all: {}: {}", p.name, e.toString());
                    }
                }
            }
            init.signal(signal);
        }

        @Override
        public void pause() throws IOException {
            try {
                system.pause();
            } catch (IOException e) {
                throw HcsStatus.of("pause " + id, e);
            }
        }

        @Override
        public void resume() throws IOException {
            try {
                system.resume();
            } catch (IOException e) {
                throw HcsStatus.of("resume " + id, e);
            }
        }

        /** OCI WindowsResources: memory and CPU of a running silo, as hcsshim's container resource paths. */
        @Override
        public void update(byte[] resourcesJson) throws IOException {
            JsonNode res;
            try {
                res = JSON.readTree(resourcesJson);
            } catch (IOException e) {
                throw Errdefs.invalidArgument("update %s: resources are not JSON: %s", id, e.getMessage());
            }
            if (res == null || !res.isObject()) throw Errdefs.invalidArgument("update %s: resources are not an object", id);
            List<ObjectNode> requests = new ArrayList<>();
            long limit = res.path("memory").path("limit").asLong(0);
            if (limit > 0) {
                ObjectNode r = JsonNodeFactory.instance.objectNode()
                        .put("ResourcePath", "Container/Memory/SizeInMB").put("RequestType", "Update");
                r.put("Settings", Math.max(1, limit / (1024 * 1024)));
                requests.add(r);
            }
            ObjectNode cpu = WcowDocument.processor(res.path("cpu"));
            if (cpu != null) {
                ObjectNode r = JsonNodeFactory.instance.objectNode()
                        .put("ResourcePath", "Container/Processor").put("RequestType", "Update");
                r.set("Settings", cpu);
                requests.add(r);
            }
            if (requests.isEmpty()) {
                throw Errdefs.invalidArgument("update %s: no Windows memory or CPU resources given", id);
            }
            for (ObjectNode r : requests) {
                try {
                    system.modify(r);
                } catch (IOException e) {
                    throw HcsStatus.of("update " + id, e);
                }
            }
        }

        @Override
        public Any execDetails(String execId, int pid) {
            return TypeUrls.pack(ProcessDetails.newBuilder().setExecId(execId).setProcessId(pid).build());
        }

        @Override
        public List<Integer> pids() throws IOException {
            Properties p = properties("ProcessList");
            if (p.processList() == null) return List.of();
            return p.processList().stream().filter(d -> d.processId() != null).map(d -> d.processId()).toList();
        }

        @Override
        public Any stats() throws IOException {
            Properties p = properties("Statistics");
            if (p.statistics() == null) throw Errdefs.unavailable("stats of %s: HCS returned no statistics", id);
            return TypeUrls.pack(Statistics.newBuilder().setWindows(toProto(p.statistics())).build());
        }

        private Properties properties(String type) throws IOException {
            try {
                return system.propertiesV2(type);
            } catch (IOException e) {
                throw HcsStatus.of("query " + type + " of " + id, e);
            }
        }

        @Override
        public void checkpoint(Path imagePath, Any options) {
            throw Errdefs.failedPrecondition("checkpoint %s: HCS containers cannot be checkpointed", id);
        }

        /**
         * As hcsshim's hcsTask close: processes and their pipes, then the compute system
         * (terminated if still up, waited for within the stop timeout), then the container's
         * resources, and last its handle.
         */
        @Override
        public void delete() throws IOException {
            for (HcsProc p : execs.values()) p.close();
            execs.clear();
            init.close();
            try {
                if (!system.stopped().toCompletableFuture().isDone()) {
                    system.terminate();
                    try {
                        system.stopped().toCompletableFuture().get(stopTimeout.toMillis(), TimeUnit.MILLISECONDS);
                    } catch (java.util.concurrent.TimeoutException e) {
                        log.warn("compute system {} did not report its stop within {}", id, stopTimeout);
                    } catch (java.util.concurrent.ExecutionException e) {
                        log.debug("compute system {} stopped with {}", id, e.getCause().toString());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            } catch (IOException e) {
                log.warn("terminate {}: {}", id, e.toString());
            } finally {
                try {
                    resources.release(null, true);
                } catch (IOException e) {
                    log.warn("releasing the resources of {}: {}", id, e.toString());
                }
                system.close();
            }
        }
    }

    static WindowsContainerStatistics toProto(dev.hcsshim.windows.schema.Statistics s) {
        WindowsContainerStatistics.Builder b = WindowsContainerStatistics.newBuilder();
        if (s.timestamp() != null) b.setTimestamp(timestamp(s.timestamp()));
        if (s.containerStartTime() != null) b.setContainerStartTime(timestamp(s.containerStartTime()));
        if (s.uptime100ns() != null) b.setUptimeNs(s.uptime100ns() * 100);
        if (s.processor() != null) {
            b.setProcessor(WindowsContainerProcessorStatistics.newBuilder()
                    .setTotalRuntimeNs(n(s.processor().totalRuntime100ns()) * 100)
                    .setRuntimeUserNs(n(s.processor().runtimeUser100ns()) * 100)
                    .setRuntimeKernelNs(n(s.processor().runtimeKernel100ns()) * 100));
        }
        if (s.memory() != null) {
            b.setMemory(WindowsContainerMemoryStatistics.newBuilder()
                    .setMemoryUsageCommitBytes(n(s.memory().memoryUsageCommitBytes()))
                    .setMemoryUsageCommitPeakBytes(n(s.memory().memoryUsageCommitPeakBytes()))
                    .setMemoryUsagePrivateWorkingSetBytes(n(s.memory().memoryUsagePrivateWorkingSetBytes())));
        }
        if (s.storage() != null) {
            b.setStorage(WindowsContainerStorageStatistics.newBuilder()
                    .setReadCountNormalized(n(s.storage().readCountNormalized()))
                    .setReadSizeBytes(n(s.storage().readSizeBytes()))
                    .setWriteCountNormalized(n(s.storage().writeCountNormalized()))
                    .setWriteSizeBytes(n(s.storage().writeSizeBytes())));
        }
        return b.build();
    }

    private static long n(Long v) {
        return v == null ? 0 : v;
    }

    private static Timestamp timestamp(String rfc3339) {
        try {
            Instant i = java.time.OffsetDateTime.parse(rfc3339).toInstant();
            return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
        } catch (java.time.format.DateTimeParseException e) {
            return Timestamp.getDefaultInstance();
        }
    }

    /**
     * One process (init or exec) and its relays: an hcsoci.Cmd between the HCS process's pipes and
     * containerd's named pipes. The exit counts once the output is drained (or the copy-after-exit
     * timeout cut it).
     */
    final class HcsProc implements TaskBackend.Process {
        final String taskId;
        final String name;
        private final ProcessSpec spec;
        private final NpipeIO io;
        private final CompletableFuture<ExitStatus> exited = new CompletableFuture<>();
        private volatile Cmd cmd;
        private volatile Instant exitedAt;
        private volatile boolean closed;

        HcsProc(String taskId, String name, ProcessSpec spec, NpipeIO io) {
            this.taskId = taskId;
            this.name = name;
            this.spec = spec;
            this.io = io;
        }

        synchronized void start(HcsSystem system) throws IOException {
            if (cmd != null) throw Errdefs.failedPrecondition("%s already started", name);
            if (closed) throw Errdefs.failedPrecondition("%s was deleted", name);
            Cmd c = new Cmd();
            c.host = system;
            c.spec = spec;
            c.stdin = io.stdin();
            c.stdout = io.stdout();
            c.stderr = io.stderr();
            c.copyAfterExitTimeout = copyAfterExit;
            try {
                c.start();
            } catch (IOException e) {
                io.close();
                throw HcsStatus.of("create process " + name, e);
            } catch (RuntimeException e) {
                io.close();
                throw e;
            }
            cmd = c;
            HcsProcess p = (HcsProcess) c.process;
            p.exited().whenComplete((v, e) -> exitedAt = Instant.now());
            Thread.ofVirtual().name("hcs-wait-" + name).start(() -> awaitExit(c));
        }

        private void awaitExit(Cmd c) {
            try {
                c.waitFor();
            } catch (ExitError e) {
                // a non-zero exit is an exit like any other
            } catch (IOException e) {
                if (!c.exitState.exited()) {
                    exited.completeExceptionally(e);
                    io.close();
                    return;
                }
                log.debug("{}: stdio relay ended with {}", name, e.toString());
            } catch (InterruptedException e) {
                exited.completeExceptionally(e);
                return;
            }
            io.close();
            Instant at = exitedAt == null ? Instant.now() : exitedAt;
            exited.complete(ExitStatus.exited(c.exitState.exitCode(), at));
        }

        @Override
        public int pid() {
            Cmd c = cmd;
            return c == null || c.process == null ? 0 : c.process.pid();
        }

        @Override
        public CompletionStage<ExitStatus> exited() {
            return exited;
        }

        @Override
        public void signal(int signal) throws IOException {
            Cmd c = cmd;
            if (c == null) throw Errdefs.failedPrecondition("%s is not started", name);
            if (exited.isDone()) throw Errdefs.notFound("%s: process already finished", name);
            SignalProcessOptionsWCOW options = wcowSignal(signal);
            boolean delivered;
            try {
                delivered = options == null ? c.process.kill() : c.process.signal(options);
            } catch (IOException e) {
                if (Hcs.isAlreadyStopped(e) || Hcs.isAlreadyClosed(e)) {
                    throw Errdefs.notFound("%s: process already finished", name);
                }
                throw HcsStatus.of("signal " + name, e);
            }
            if (!delivered) throw Errdefs.notFound("%s: process already finished", name);
        }

        @Override
        public void closeStdin() {
            // The Cmd's stdin relay reads end-of-file and closes the process's stdin after it.
            io.closeStdin();
        }

        @Override
        public void resize(int width, int height) throws IOException {
            Cmd c = cmd;
            if (c == null || !spec.isTerminal()) return;
            try {
                c.process.resizeConsole(width, height);
            } catch (IOException e) {
                throw HcsStatus.of("resize console of " + name, e);
            }
        }

        @Override
        public void close() {
            closed = true;
            io.close();
            Cmd c = cmd;
            if (c != null && c.process != null) {
                try {
                    c.process.close();
                } catch (IOException e) {
                    log.debug("close {}: {}", name, e.toString());
                }
            }
        }
    }
}
