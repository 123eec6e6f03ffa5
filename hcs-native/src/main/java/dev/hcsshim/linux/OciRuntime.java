package dev.hcsshim.linux;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hcsshim.errdefs.ErrorKind;
import dev.hcsshim.process.ExitStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OCI runtime CLI (runc by default, crun by name) for one state root, e.g. one containerd
 * namespace. Every method runs one short-lived runtime process and fails with an
 * {@link OciRuntimeException} carrying the runtime's own error message (read from its
 * {@code --log ... --log-format json} log) and its kind, decided here by {@link OciErrors}.
 *
 * <p>What a call passes and gets back (that log, the runtime's stdin, stdout and stderr, an exec's
 * process spec) are {@link MemoryFile}s: nothing created on disk, nothing left by a daemon killed
 * mid-call. The one file the runtime itself writes, an exec's pid file, lives in the container's
 * call directory, {@code <bundle>/}{@value #CALL_DIR}, which {@link #delete} removes, so what a
 * killed daemon left goes with the task's cleanup. The state root itself is removed by the delete
 * that empties it.
 *
 * <p>Container processes ({@link #create}, {@link #exec}) are re-parented to this JVM (a child
 * subreaper) when runc exits; their exits are reported through the {@link ExitWatcher}.
 *
 * <p>Thread-safe; calls for different containers may run concurrently.
 */
public final class OciRuntime {
    private static final Logger log = LoggerFactory.getLogger(OciRuntime.class);
    /** Built on first use: a one-shot {@code delete} never parses runtime JSON and should not pay for Jackson. */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }
    /** Where per-namespace runc state lives unless told otherwise. */
    public static final Path DEFAULT_ROOT_PARENT = Path.of("/run/containerd/runhcs-runc");

    /** The directory in a container's bundle that holds the files of its runtime calls. */
    public static final String CALL_DIR = "runtime-calls";
    /** The runtime's descriptor for its log, and for the first input of a call (an exec's process spec). */
    static final int LOG_FD = 3, FIRST_INPUT_FD = 4;

    private final Path binary;
    private final Path root;
    private final StateRoot stateRoot;
    private final Map<String, Path> callDirs = new ConcurrentHashMap<>();
    private final boolean systemdCgroup;
    private final ExitWatcher watcher;
    private volatile Duration timeout = Duration.ofSeconds(60);

    /** Stdio of a container process: fds in this JVM, each -1 for /dev/null. Not closed here. */
    public record Stdio(int stdin, int stdout, int stderr) {
        public static final Stdio NULL = new Stdio(-1, -1, -1);
    }

    /** A started container process: its pid and its exit. */
    public record Started(int pid, CompletableFuture<ExitStatus> exit) {}

    /** {@code runc state}: status is created, running, paused or stopped. */
    public record State(String id, int pid, String status, Path bundle, String created, JsonNode raw) {}

    /**
     * @param binary  the runtime executable ("runc", "crun" or a path; bare names use PATH)
     * @param root    the runtime's {@code --root} state directory (made by the first create, removed
     *                by the delete that empties it)
     * @param systemdCgroup pass {@code --systemd-cgroup}
     * @param watcher where container process exits are observed; null for one-shot commands that
     *                start no container process (e.g. a forced delete)
     */
    public OciRuntime(String binary, Path root, boolean systemdCgroup, ExitWatcher watcher) throws IOException {
        this.binary = resolve(binary);
        this.root = root;
        this.stateRoot = new StateRoot(root);
        this.systemdCgroup = systemdCgroup;
        this.watcher = watcher;
    }

    /** runc (or crun when {@code runtime} says so) with root {@code /run/containerd/runhcs-runc/<ns>}. */
    public static OciRuntime forNamespace(String runtime, String namespace, ExitWatcher watcher) throws IOException {
        if (namespace.isEmpty() || namespace.contains("/") || namespace.startsWith(".")) {
            throw new IllegalArgumentException("bad namespace: " + namespace);
        }
        return new OciRuntime(runtime == null || runtime.isEmpty() ? "runc" : runtime,
                DEFAULT_ROOT_PARENT.resolve(namespace), false, watcher);
    }

    private static Path resolve(String binary) throws IOException {
        if (binary.contains("/")) return Path.of(binary);
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, binary);
            if (Files.isExecutable(p)) return p;
        }
        throw new OciRuntimeException(ErrorKind.UNAVAILABLE, "OCI runtime '" + binary + "' not found in PATH");
    }

    public Path binary() {
        return binary;
    }

    public Path root() {
        return root;
    }

    public ExitWatcher watcher() {
        return watcher;
    }

    /**
     * Puts the files of runtime calls for container {@code id} into {@code <bundle>/}{@value #CALL_DIR}
     * until it is deleted ({@link #create} does this; cleanup of a container this runtime did not
     * create calls it first). Calls for a container without a bundle use a temporary directory each.
     */
    public void adopt(String id, Path bundle) {
        callDirs.put(id, bundle.resolve(CALL_DIR));
    }

    /** Bounds every runtime command (default 60 s); a command over it is killed. */
    public void setCommandTimeout(Duration d) {
        this.timeout = d;
    }

    /**
     * {@code runc create}: sets the container up with its init process stopped before exec.
     * The pid file is {@code <bundle>/init.pid}. With a console socket, stdio is ignored and the
     * pty master arrives on the socket. The returned exit future is already being watched.
     */
    public Started create(String id, Path bundle, Stdio stdio, Path consoleSocket) throws IOException {
        adopt(id, bundle);
        Path pidFile = bundle.resolve("init.pid");
        Files.deleteIfExists(pidFile);
        List<String> args = new ArrayList<>(List.of("create", "--bundle", bundle.toString(),
                "--pid-file", pidFile.toString()));
        if (consoleSocket != null) args.addAll(List.of("--console-socket", consoleSocket.toString()));
        args.add(id);
        try (StateRoot.Hold h = stateRoot.holdForCreate()) {
            return startProcess(args, pidFile, stdio, consoleSocket != null);
        }
    }

    /** {@code runc start}: runs the user process of a created container. */
    public void start(String id) throws IOException {
        run(List.of("start", id), null);
    }

    /**
     * {@code runc exec --detach}: starts an extra process from an OCI process spec (JSON text).
     * With a console socket (the spec must say terminal: true) the pty master arrives there.
     */
    public Started exec(String id, String processSpecJson, Stdio stdio, Path consoleSocket) throws IOException {
        try (CallFiles files = callFiles(id);
             MemoryFile spec = MemoryFile.of("runtime-process", processSpecJson.getBytes(StandardCharsets.UTF_8))) {
            Path pidFile = files.name("exec-", ".pid"); // runc writes it
            List<String> args = new ArrayList<>(List.of("exec", "--process", MemoryFile.byDescriptor(FIRST_INPUT_FD),
                    "--detach", "--pid-file", pidFile.toString()));
            if (consoleSocket != null) args.addAll(List.of("--console-socket", consoleSocket.toString()));
            args.add(id);
            return startProcess(args, pidFile, stdio, consoleSocket != null, spec);
        }
    }

    /** {@code runc kill}: sends a signal number to the init process, or to every process with all. */
    public void kill(String id, int signal, boolean all) throws IOException {
        List<String> args = new ArrayList<>(List.of("kill"));
        if (all) args.add("--all");
        args.add(id);
        args.add(Integer.toString(signal));
        run(args, null);
    }

    public void pause(String id) throws IOException {
        run(List.of("pause", id), null);
    }

    public void resume(String id) throws IOException {
        run(List.of("resume", id), null);
    }

    /** {@code runc update --resources -}: an OCI LinuxResources JSON document. */
    public void update(String id, String resourcesJson) throws IOException {
        run(List.of("update", "--resources", "-", id), resourcesJson.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code runc ps --format json}: host pids of every process in the container. */
    public List<Integer> ps(String id) throws IOException {
        JsonNode n = parse("ps", id, run(List.of("ps", "--format", "json", id), null));
        List<Integer> pids = new ArrayList<>();
        if (n != null) n.forEach(p -> pids.add(p.asInt()));
        return pids;
    }

    /** {@code runc state}. */
    public State state(String id) throws IOException {
        JsonNode n = parse("state", id, run(List.of("state", id), null));
        return new State(n.path("id").asText(), n.path("pid").asInt(), n.path("status").asText(),
                Path.of(n.path("bundle").asText("/")), n.path("created").asText(""), n);
    }

    /**
     * {@code runc delete}, with {@code --force} killing a running container first. Once the
     * container is gone (deleted now, or already) its call directory goes, and the state root if
     * that was its last container.
     */
    public void delete(String id, boolean force) throws IOException {
        boolean gone = false;
        try {
            run(force ? List.of("delete", "--force", id) : List.of("delete", id), null);
            gone = true;
        } catch (OciRuntimeException e) {
            gone = e.kind() == ErrorKind.NOT_FOUND;
            throw e;
        } finally {
            if (gone) forget(id);
        }
    }

    private void forget(String id) throws IOException {
        Path dir = callDirs.remove(id);
        if (dir != null) deleteTree(dir);
        stateRoot.removeIfEmpty();
    }

    /** {@code runc events --stats}: one statistics sample. */
    public OciStats stats(String id) throws IOException {
        JsonNode n = parse("events --stats", id, run(List.of("events", "--stats", id), null));
        if (n == null || !n.has("data")) throw new OciRuntimeException(ErrorKind.UNKNOWN,
                name() + " events --stats " + id + ": no data");
        return OciStats.parse(n.path("data"));
    }

    /**
     * {@code runc checkpoint} through criu into {@code imagePath}. Without leaveRunning the
     * container is stopped by the checkpoint. When criu is missing or cannot dump this
     * container, throws {@link OciRuntimeException.CheckpointNotSupported} with criu's reason.
     */
    public void checkpoint(String id, Path imagePath, Path workPath, boolean leaveRunning) throws IOException {
        Files.createDirectories(imagePath);
        Files.createDirectories(workPath);
        List<String> args = new ArrayList<>(List.of("checkpoint", "--image-path", imagePath.toString(),
                "--work-path", workPath.toString()));
        if (leaveRunning) args.add("--leave-running");
        args.add(id);
        try {
            run(args, null);
        } catch (OciRuntimeException e) {
            if (e.kind() == ErrorKind.NOT_FOUND) throw e;
            String criuLog = "";
            Path dumpLog = workPath.resolve("dump.log");
            if (Files.isReadable(dumpLog)) {
                List<String> errs = Files.readAllLines(dumpLog).stream().filter(l -> l.contains("Error")).toList();
                criuLog = errs.isEmpty() ? "" : "; criu: " + String.join(" | ", errs.subList(Math.max(0, errs.size() - 3), errs.size()));
            }
            throw new OciRuntimeException.CheckpointNotSupported(
                    "checkpoint of " + id + " is not possible: " + e.getMessage() + criuLog);
        }
    }

    // ---------------------------------------------------------------------------------------

    private Started startProcess(List<String> args, Path pidFile, Stdio stdio, boolean terminal,
                                 MemoryFile... inputs) throws IOException {
        try (MemoryFile runtimeLog = MemoryFile.create("runtime-log")) {
            // the container inherits runc's stdio: our pipe ends themselves (a terminal's comes over the console socket)
            Running runtime = launch(args, runtimeLog, terminal ? Stdio.NULL : stdio, inputs);
            try {
                finish(runtime, args, runtimeLog, null);
                int pid = readPid(args, pidFile);
                return new Started(pid, watcher.watch(pid));
            } finally {
                runtime.sweeperHold().close();
            }
        }
    }

    /** The pid the runtime wrote; a missing or garbled file after a success is the runtime's failure, not "not found". */
    private int readPid(List<String> args, Path pidFile) throws OciRuntimeException {
        String what = name() + " " + args.get(0) + " " + args.get(args.size() - 1);
        try {
            return Integer.parseInt(Files.readString(pidFile).trim());
        } catch (IOException e) {
            throw new OciRuntimeException(ErrorKind.UNKNOWN, what + " succeeded but left no readable pid file at " + pidFile, e);
        } catch (NumberFormatException e) {
            throw new OciRuntimeException(ErrorKind.UNKNOWN, what + " succeeded but wrote no pid to " + pidFile, e);
        }
    }

    /** Runs a runtime command to completion and returns its stdout. */
    private byte[] run(List<String> args, byte[] stdin) throws IOException {
        try (MemoryFile runtimeLog = MemoryFile.create("runtime-log");
             MemoryFile err = MemoryFile.create("runtime-stderr");
             MemoryFile out = MemoryFile.create("runtime-stdout");
             MemoryFile in = stdin == null ? null : MemoryFile.of("runtime-stdin", stdin)) {
            Running runtime = launch(args, runtimeLog, new Stdio(in == null ? -1 : in.fd(), out.fd(), err.fd()));
            runtime.sweeperHold().close(); // nothing it starts outlives it
            finish(runtime, args, runtimeLog, err);
            // outputs are small: state, ps, one stats line
            return out.readAll();
        }
    }

    /**
     * A runtime process and its exit. {@code sweeperHold} keeps the exit watcher's orphan sweeper
     * off until the caller watched what the runtime started (create, exec); close it once done.
     */
    private record Running(int pid, CompletableFuture<ExitStatus> exit, ExitWatcher.Guard sweeperHold) {}

    /**
     * Starts {@code runtime --root R [--systemd-cgroup] --log L --log-format json args...}: the log
     * is its descriptor {@value #LOG_FD}, the {@code inputs} its descriptors from {@value #FIRST_INPUT_FD} up.
     */
    private Running launch(List<String> args, MemoryFile runtimeLog, Stdio stdio, MemoryFile... inputs) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(binary.toString());
        cmd.add("--root");
        cmd.add(root.toString());
        if (systemdCgroup) cmd.add("--systemd-cgroup");
        cmd.addAll(List.of("--log", MemoryFile.byDescriptor(LOG_FD), "--log-format", "json"));
        cmd.addAll(args);
        int[] inherited = new int[1 + inputs.length];
        inherited[LOG_FD - 3] = runtimeLog.fd();
        for (int i = 0; i < inputs.length; i++) inherited[FIRST_INPUT_FD - 3 + i] = inputs[i].fd();
        ExitWatcher.Guard hold = watcher != null ? watcher.guard() : () -> { };
        try {
            int pid = Spawn.start(cmd, null, stdio.stdin(), stdio.stdout(), stdio.stderr(), false, inherited);
            return new Running(pid, watcher != null ? watcher.watch(pid) : null, hold);
        } catch (IOException | RuntimeException e) {
            hold.close();
            throw new OciRuntimeException(ErrorKind.UNAVAILABLE, "cannot run " + binary + " " + args.get(0)
                    + ": " + e.getMessage(), e);
        }
    }

    private String name() {
        return binary.getFileName().toString();
    }

    private JsonNode parse(String command, String id, byte[] out) throws OciRuntimeException {
        try {
            return Json.MAPPER.readTree(out);
        } catch (IOException e) {
            throw new OciRuntimeException(ErrorKind.UNKNOWN, name() + " " + command + " " + id
                    + " printed something that is not JSON: " + new String(out, 0, Math.min(out.length, 200), StandardCharsets.UTF_8), e);
        }
    }

    /**
     * Waits for a runtime command and, if it failed, throws what it stated: its exit status and
     * the last error in its JSON log (its stderr when the log has none), classified by {@link OciErrors}.
     */
    private void finish(Running runtime, List<String> args, MemoryFile runtimeLog, MemoryFile err) throws IOException {
        int status = awaitExit(runtime, args).status();
        if (status == 0) return;
        String what = name() + " " + args.get(0) + " " + args.get(args.size() - 1);
        String msg = errorMessage(text(runtimeLog), err == null ? "" : text(err));
        if (msg == null) {
            throw new OciRuntimeException(ErrorKind.UNKNOWN, what + " failed (exit " + status + ") and logged no error");
        }
        ErrorKind kind = OciErrors.classify(args.get(0), msg);
        String text = what + " failed (exit " + status + "): " + msg;
        if (args.get(0).equals("kill") && kind == ErrorKind.NOT_FOUND) {
            text = what + ": process already finished (" + msg + ")"; // containerd's words for it
        }
        log.debug("{} [{}]", text, kind);
        throw new OciRuntimeException(kind, text);
    }

    /** The runtime's exit, within the command timeout; a runtime past it (or an interrupted wait) is killed. */
    private ExitStatus awaitExit(Running runtime, List<String> args) throws IOException {
        try {
            ExitStatus status = runtime.exit() != null
                    ? runtime.exit().get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    : Spawn.waitFor(runtime.pid(), timeout.toMillis());
            if (status != null) return status;
        } catch (TimeoutException e) {
            // below
        } catch (ExecutionException e) {
            throw new IOException("waiting for " + name() + " " + args.get(0) + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            killRuntime(runtime);
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException(name() + " " + args.get(0) + " interrupted");
        }
        killRuntime(runtime);
        throw new OciRuntimeException(ErrorKind.DEADLINE_EXCEEDED,
                name() + " " + String.join(" ", args) + ": timed out after " + timeout);
    }

    /** SIGKILL to a runtime process still running; without a watcher it is also reaped here. */
    private void killRuntime(Running runtime) throws IOException {
        if (runtime.exit() != null) {
            watcher.signal(runtime.pid(), 9); // through its pidfd: never a recycled pid
            return;
        }
        // not reaped yet (waitFor returned without it), so the pid is still this child's
        try {
            LibC.INSTANCE.kill(runtime.pid(), 9);
        } catch (com.sun.jna.LastErrorException gone) {
            return;
        }
        Spawn.waitFor(runtime.pid(), 5_000);
    }

    private static String text(MemoryFile f) {
        try {
            return new String(f.readAll(), StandardCharsets.UTF_8);
        } catch (IOException unreadable) {
            log.debug("cannot read what the runtime left in {}: {}", f.fd(), unreadable.getMessage());
            return "";
        }
    }

    /**
     * The last error in the runtime's JSON {@code log}, as containerd's runc shim reads it, else its
     * {@code stderr}; null if neither has one.
     */
    static String errorMessage(String log, String stderr) {
        String last = null;
        for (String line : log.split("\n")) {
            String msg = logLineError(line);
            if (msg != null) last = msg;
        }
        if (last == null && !stderr.isBlank()) last = stderr.trim();
        return last == null ? null : last.strip().replace("\n", "; ");
    }

    /** The message of an error (or fatal) line of a JSON runtime log; a line that is not JSON counts whole. */
    static String logLineError(String line) {
        if (line.isBlank()) return null;
        try {
            JsonNode n = Json.MAPPER.readTree(line);
            String level = n.path("level").asText();
            return level.equals("error") || level.equals("fatal") ? n.path("msg").asText() : null;
        } catch (IOException notJson) {
            return line;
        }
    }

    /** A container's call directory (or a temporary one), and the files a call named in it. */
    private CallFiles callFiles(String id) throws IOException {
        Path dir = callDirs.get(id);
        if (dir == null) return new CallFiles(Files.createTempDirectory("runc-call"), true);
        Files.createDirectories(dir);
        return new CallFiles(dir, false);
    }

    /**
     * Files the runtime writes for a call (an exec's pid file: runc writes it beside a temporary
     * one it renames, so it cannot be a {@link MemoryFile}); closing deletes them (and a temporary
     * directory). In a container's call directory, what a daemon killed mid-call left goes with
     * the container.
     */
    private static final class CallFiles implements AutoCloseable {
        private static final AtomicLong CALL_FILE_NUMBERS = new AtomicLong();
        private final Path dir;
        private final boolean temporary;
        private final List<Path> files = new ArrayList<>();

        CallFiles(Path dir, boolean temporary) {
            this.dir = dir;
            this.temporary = temporary;
        }

        /**
         * A name {@code prefix<n>suffix} no file has: the runtime creates the file. Numbers restart
         * with each daemon, so one an earlier daemon left is skipped.
         */
        Path name(String prefix, String suffix) {
            while (true) {
                Path f = dir.resolve(prefix + CALL_FILE_NUMBERS.incrementAndGet() + suffix);
                if (Files.exists(f, LinkOption.NOFOLLOW_LINKS)) continue;
                files.add(f);
                return f;
            }
        }

        @Override
        public void close() {
            if (temporary) {
                deleteTree(dir);
                return;
            }
            for (Path f : files) {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    log.debug("cannot delete {}: {}", f, e.getMessage());
                }
            }
        }
    }

    static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
