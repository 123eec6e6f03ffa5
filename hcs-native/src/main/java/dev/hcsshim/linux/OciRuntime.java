package dev.hcsshim.linux;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hcsshim.process.ExitStatus;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OCI runtime CLI (runc by default, crun by name) for one state root, e.g. one containerd
 * namespace. Every method runs one short-lived runtime process and fails with an
 * {@link OciRuntimeException} carrying the runtime's own error message (read from its
 * {@code --log ... --log-format json} file).
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

    private final Path binary;
    private final Path root;
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
     * @param root    the runtime's {@code --root} state directory (created if missing)
     * @param systemdCgroup pass {@code --systemd-cgroup}
     * @param watcher where container process exits are observed; null for one-shot commands that
     *                start no container process (e.g. a forced delete)
     */
    public OciRuntime(String binary, Path root, boolean systemdCgroup, ExitWatcher watcher) throws IOException {
        this.binary = resolve(binary);
        this.root = root;
        this.systemdCgroup = systemdCgroup;
        this.watcher = watcher;
        Files.createDirectories(root);
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
        throw new IOException("OCI runtime '" + binary + "' not found in PATH");
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
        Path pidFile = bundle.resolve("init.pid");
        Files.deleteIfExists(pidFile);
        List<String> args = new ArrayList<>(List.of("create", "--bundle", bundle.toString(),
                "--pid-file", pidFile.toString()));
        if (consoleSocket != null) args.addAll(List.of("--console-socket", consoleSocket.toString()));
        args.add(id);
        return startProcess(id, args, pidFile, stdio, consoleSocket != null);
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
        Path dir = Files.createTempDirectory("runc-exec");
        try {
            Path spec = dir.resolve("process.json");
            Files.writeString(spec, processSpecJson);
            Path pidFile = dir.resolve("pid");
            List<String> args = new ArrayList<>(List.of("exec", "--process", spec.toString(), "--detach",
                    "--pid-file", pidFile.toString()));
            if (consoleSocket != null) args.addAll(List.of("--console-socket", consoleSocket.toString()));
            args.add(id);
            return startProcess(id, args, pidFile, stdio, consoleSocket != null);
        } finally {
            deleteTree(dir);
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
        JsonNode n = Json.MAPPER.readTree(run(List.of("ps", "--format", "json", id), null));
        List<Integer> pids = new ArrayList<>();
        if (n != null) n.forEach(p -> pids.add(p.asInt()));
        return pids;
    }

    /** {@code runc state}. */
    public State state(String id) throws IOException {
        JsonNode n = Json.MAPPER.readTree(run(List.of("state", id), null));
        return new State(n.path("id").asText(), n.path("pid").asInt(), n.path("status").asText(),
                Path.of(n.path("bundle").asText("/")), n.path("created").asText(""), n);
    }

    /** {@code runc delete}, with {@code --force} killing a running container first. */
    public void delete(String id, boolean force) throws IOException {
        run(force ? List.of("delete", "--force", id) : List.of("delete", id), null);
    }

    /** {@code runc events --stats}: one statistics sample. */
    public OciStats stats(String id) throws IOException {
        JsonNode n = Json.MAPPER.readTree(run(List.of("events", "--stats", id), null));
        if (n == null || !n.has("data")) throw new OciRuntimeException(OciRuntimeException.Kind.OTHER,
                "runc events --stats " + id + ": no data");
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
            if (e.kind() == OciRuntimeException.Kind.NOT_FOUND) throw e;
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

    @SuppressWarnings("try") // the guard is held, not used
    private Started startProcess(String id, List<String> args, Path pidFile, Stdio stdio, boolean terminal)
            throws IOException {
        ProcessBuilder pb = command(args);
        // the container inherits runc's stdio: hand it our pipe ends as files, never JDK pipes
        // (the JDK closes those when runc exits, while the container keeps using them)
        pb.redirectInput(terminal || stdio.stdin() < 0 ? ProcessBuilder.Redirect.from(new File("/dev/null"))
                : ProcessBuilder.Redirect.from(fdFile(stdio.stdin())));
        pb.redirectOutput(terminal || stdio.stdout() < 0 ? ProcessBuilder.Redirect.DISCARD
                : ProcessBuilder.Redirect.appendTo(fdFile(stdio.stdout())));
        pb.redirectError(terminal || stdio.stderr() < 0 ? ProcessBuilder.Redirect.DISCARD
                : ProcessBuilder.Redirect.appendTo(fdFile(stdio.stderr())));
        Path logFile = Files.createTempFile("runc-log", ".json");
        // the guard keeps the orphan sweeper from reaping the new process before it is watched
        try (ExitWatcher.Guard g = watcher.guard()) {
            java.lang.Process p = spawn(withLog(pb, logFile));
            finish(p, args, logFile, null);
            int pid = Integer.parseInt(Files.readString(pidFile).trim());
            return new Started(pid, watcher.watch(pid));
        } finally {
            Files.deleteIfExists(logFile);
        }
    }

    private static File fdFile(int fd) {
        return new File("/proc/self/fd/" + fd);
    }

    /** Runs a runtime command to completion and returns its stdout. */
    private byte[] run(List<String> args, byte[] stdin) throws IOException {
        ProcessBuilder pb = command(args);
        Path logFile = Files.createTempFile("runc-log", ".json");
        Path errFile = Files.createTempFile("runc-err", ".txt");
        try {
            pb.redirectInput(stdin == null ? ProcessBuilder.Redirect.from(new File("/dev/null"))
                    : ProcessBuilder.Redirect.PIPE);
            pb.redirectError(errFile.toFile());
            java.lang.Process p = spawn(withLog(pb, logFile));
            if (stdin != null) {
                try (var os = p.getOutputStream()) {
                    os.write(stdin);
                }
            }
            byte[] out;
            // outputs are small (state, ps, one stats line); runc exits when done
            try (InputStream is = p.getInputStream()) {
                out = is.readAllBytes();
            }
            finish(p, args, logFile, errFile);
            return out;
        } finally {
            Files.deleteIfExists(logFile);
            Files.deleteIfExists(errFile);
        }
    }

    /** Through the exit watcher when there is one, so its orphan sweeper leaves runc to the JVM. */
    private java.lang.Process spawn(ProcessBuilder pb) throws IOException {
        return watcher != null ? watcher.spawn(pb) : pb.start();
    }

    private ProcessBuilder command(List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(binary.toString());
        cmd.add("--root");
        cmd.add(root.toString());
        if (systemdCgroup) cmd.add("--systemd-cgroup");
        cmd.addAll(args);
        return new ProcessBuilder(cmd);
    }

    private static ProcessBuilder withLog(ProcessBuilder pb, Path logFile) {
        List<String> cmd = new ArrayList<>(pb.command());
        cmd.addAll(3, List.of("--log", logFile.toString(), "--log-format", "json"));
        return pb.command(cmd);
    }

    private void finish(java.lang.Process p, List<String> args, Path logFile, Path errFile) throws IOException {
        boolean exited;
        try {
            exited = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException(binary.getFileName() + " " + args.get(0) + " interrupted");
        }
        if (!exited) {
            p.destroyForcibly();
            throw new OciRuntimeException(OciRuntimeException.Kind.OTHER,
                    binary.getFileName() + " " + String.join(" ", args) + ": timed out after " + timeout);
        }
        if (p.exitValue() == 0) return;
        String msg = errorMessage(logFile, errFile);
        String text = binary.getFileName() + " " + args.get(0) + " " + args.get(args.size() - 1)
                + " failed (exit " + p.exitValue() + "): " + msg;
        log.debug("{}", text);
        throw new OciRuntimeException(classify(msg), text);
    }

    private static String errorMessage(Path logFile, Path errFile) {
        String last = null;
        try {
            for (String line : Files.readAllLines(logFile)) {
                if (line.isBlank()) continue;
                try {
                    JsonNode n = Json.MAPPER.readTree(line);
                    String level = n.path("level").asText();
                    if (level.equals("error") || level.equals("fatal")) last = n.path("msg").asText();
                } catch (IOException notJson) {
                    last = line;
                }
            }
            if (last == null && errFile != null) {
                String err = Files.readString(errFile).trim();
                if (!err.isEmpty()) last = err;
            }
        } catch (IOException ignored) {
            // fall through
        }
        return last == null ? "(no error message)" : last.strip().replace("\n", "; ");
    }

    static OciRuntimeException.Kind classify(String msg) {
        String m = msg.toLowerCase(java.util.Locale.ROOT);
        if (m.contains("container does not exist") || m.contains("container not found") || m.contains("no such process")) {
            return OciRuntimeException.Kind.NOT_FOUND;
        }
        if (m.contains("already exists") || m.contains("already in use")) return OciRuntimeException.Kind.ALREADY_EXISTS;
        if (m.contains("not running") || m.contains("not paused") || m.contains("is paused")
                || m.contains("is stopped") || m.contains("stopped") || m.contains("cannot ")
                || m.contains("not created")) {
            return OciRuntimeException.Kind.FAILED_PRECONDITION;
        }
        if (m.contains("executable file not found") || m.contains("no such file or directory")
                || m.contains("invalid") || m.contains("permission denied")) {
            return OciRuntimeException.Kind.INVALID_SPEC;
        }
        return OciRuntimeException.Kind.OTHER;
    }

    static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
