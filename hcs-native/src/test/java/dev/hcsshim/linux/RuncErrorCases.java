package dev.hcsshim.linux;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hcsshim.errdefs.ErrorKind;
import dev.hcsshim.fixtures.BusyboxBundle;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Failures of runc's own making, each with how to provoke it with runc itself and the kind
 * {@link OciErrors} must give it. {@link #RESOURCE} holds what runc 1.1.5 logged for each
 * ({@code --log-format json} lines), recorded by {@link Recorder}; the tests replay those and
 * re-record them from the installed runc.
 */
final class RuncErrorCases {
    static final String RESOURCE = "/runc-errors/runc-1.1.5.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One failure: its name, the runc subcommand that fails, the kind it must map to, how to make it happen. */
    record Case(String name, String command, ErrorKind kind, Provoke provoke) {}

    @FunctionalInterface
    interface Provoke {
        Recorded run(Recorder r) throws Exception;
    }

    /** What runc did: its exit status and its log's last error line, ids and paths replaced by placeholders. */
    record Recorded(String name, String command, int exit, String logLine) {
        String message() {
            return OciRuntime.logLineError(logLine);
        }

        String toJson() throws IOException {
            ObjectNode n = JSON.createObjectNode();
            n.put("case", name).put("command", command).put("exit", exit).put("log", logLine);
            return JSON.writeValueAsString(n);
        }

        static Recorded fromJson(String line) throws IOException {
            var n = JSON.readTree(line);
            return new Recorded(n.path("case").asText(), n.path("command").asText(), n.path("exit").asInt(), n.path("log").asText());
        }
    }

    static final List<Case> ALL = List.of(
            // the container is not there
            new Case("kill-missing", "kill", ErrorKind.NOT_FOUND, r -> r.fail("kill-missing", "kill", "nosuch", "9")),
            new Case("state-missing", "state", ErrorKind.NOT_FOUND, r -> r.fail("state-missing", "state", "nosuch")),
            new Case("delete-missing", "delete", ErrorKind.NOT_FOUND, r -> r.fail("delete-missing", "delete", "nosuch")),
            new Case("pause-missing", "pause", ErrorKind.NOT_FOUND, r -> r.fail("pause-missing", "pause", "nosuch")),
            new Case("exec-missing", "exec", ErrorKind.NOT_FOUND, r -> r.exec("exec-missing", "nosuch", "{\"args\":[\"true\"],\"cwd\":\"/\"}")),
            new Case("stats-missing", "events", ErrorKind.NOT_FOUND, r -> r.fail("stats-missing", "events", "--stats", "nosuch")),
            // it is there already
            new Case("create-existing", "create", ErrorKind.ALREADY_EXISTS, r -> {
                String id = r.created();
                return r.fail("create-existing", "create", "--bundle", r.bundleOf(id).toString(), id);
            }),
            // the container's state does not allow it
            new Case("start-running", "start", ErrorKind.FAILED_PRECONDITION, r -> r.fail("start-running", "start", r.running())),
            new Case("start-stopped", "start", ErrorKind.FAILED_PRECONDITION, r -> r.fail("start-stopped", "start", r.stopped())),
            new Case("start-paused", "start", ErrorKind.FAILED_PRECONDITION, r -> r.fail("start-paused", "start", r.paused())),
            new Case("pause-stopped", "pause", ErrorKind.FAILED_PRECONDITION, r -> r.fail("pause-stopped", "pause", r.stopped())),
            new Case("resume-running", "resume", ErrorKind.FAILED_PRECONDITION, r -> r.fail("resume-running", "resume", r.running())),
            new Case("exec-stopped", "exec", ErrorKind.FAILED_PRECONDITION, r -> r.exec("exec-stopped", r.stopped(), "{\"args\":[\"true\"],\"cwd\":\"/\"}")),
            new Case("delete-running", "delete", ErrorKind.FAILED_PRECONDITION, r -> r.fail("delete-running", "delete", r.running())),
            new Case("update-stopped", "update", ErrorKind.FAILED_PRECONDITION, r -> r.update("update-stopped", r.stopped(), "{\"memory\":{\"limit\":268435456}}")),
            new Case("stats-stopped", "events", ErrorKind.FAILED_PRECONDITION, r -> r.fail("stats-stopped", "events", "--stats", r.stopped())),
            // kill of a container whose process is gone: containerd's "process already finished"
            new Case("kill-stopped", "kill", ErrorKind.NOT_FOUND, r -> r.fail("kill-stopped", "kill", r.stopped(), "9")),
            // what we passed is wrong
            new Case("kill-bad-signal", "kill", ErrorKind.INVALID_ARGUMENT, r -> r.fail("kill-bad-signal", "kill", r.running(), "999")),
            new Case("kill-unknown-signal", "kill", ErrorKind.INVALID_ARGUMENT, r -> r.fail("kill-unknown-signal", "kill", r.running(), "SIGFOO")),
            new Case("kill-bad-id", "kill", ErrorKind.INVALID_ARGUMENT, r -> r.fail("kill-bad-id", "kill", "bad/id", "9")),
            new Case("create-empty-id", "create", ErrorKind.INVALID_ARGUMENT, r -> r.fail("create-empty-id", "create", "--bundle", r.bundle(r.newId(), b -> b).toString(), "")),
            new Case("create-not-json", "create", ErrorKind.INVALID_ARGUMENT, r -> {
                String id = r.newId();
                Path b = r.bundle(id, x -> x);
                Files.writeString(b.resolve("config.json"), "garbage");
                return r.fail("create-not-json", "create", "--bundle", b.toString(), id);
            }),
            new Case("create-empty-args", "create", ErrorKind.INVALID_ARGUMENT, r -> r.createFails("create-empty-args", p -> p.put("args", List.of()))),
            new Case("create-relative-cwd", "create", ErrorKind.INVALID_ARGUMENT, r -> r.createFails("create-relative-cwd", p -> p.put("cwd", "rel"))),
            new Case("create-missing-executable", "create", ErrorKind.INVALID_ARGUMENT, r -> r.createFails("create-missing-executable", p -> p.put("args", List.of("nosuchbin")))),
            new Case("create-missing-rootfs", "create", ErrorKind.INVALID_ARGUMENT, r -> {
                String id = r.newId();
                Path b = r.bundle(id, x -> x);
                OciRuntime.deleteTree(b.resolve("rootfs"));
                return r.fail("create-missing-rootfs", "create", "--bundle", b.toString(), id);
            }),
            new Case("exec-missing-executable", "exec", ErrorKind.INVALID_ARGUMENT, r -> r.exec("exec-missing-executable", r.running(), "{\"args\":[\"nosuchbin\"],\"cwd\":\"/\"}")),
            new Case("exec-missing-path", "exec", ErrorKind.INVALID_ARGUMENT, r -> r.exec("exec-missing-path", r.running(), "{\"args\":[\"/nonexistent\"],\"cwd\":\"/\"}")),
            new Case("exec-missing-cwd", "exec", ErrorKind.INVALID_ARGUMENT, r -> r.exec("exec-missing-cwd", r.running(), "{\"args\":[\"true\"],\"cwd\":\"/nonexistent\"}")),
            new Case("exec-relative-cwd", "exec", ErrorKind.INVALID_ARGUMENT, r -> r.exec("exec-relative-cwd", r.running(), "{\"args\":[\"true\"],\"cwd\":\"rel\"}")),
            new Case("exec-empty-args", "exec", ErrorKind.INVALID_ARGUMENT, r -> r.exec("exec-empty-args", r.running(), "{\"args\":[],\"cwd\":\"/\"}")),
            new Case("exec-not-json", "exec", ErrorKind.INVALID_ARGUMENT, r -> r.exec("exec-not-json", r.running(), "notjson")),
            new Case("exec-uid-out-of-range", "exec", ErrorKind.INVALID_ARGUMENT,
                    r -> r.exec("exec-uid-out-of-range", r.running(), "{\"args\":[\"true\"],\"cwd\":\"/\",\"user\":{\"uid\":4294967295}}")),
            new Case("update-wrong-type", "update", ErrorKind.INVALID_ARGUMENT, r -> r.update("update-wrong-type", r.running(), "{\"memory\":{\"limit\":\"x\"}}")),
            new Case("update-not-json", "update", ErrorKind.INVALID_ARGUMENT, r -> r.update("update-not-json", r.running(), "notjson")),
            // known to runc, not to the table: stays Unknown rather than guessed from "permission denied"
            new Case("exec-not-executable", "exec", ErrorKind.UNKNOWN, r -> r.exec("exec-not-executable", r.running(), "{\"args\":[\"/etc/passwd\"],\"cwd\":\"/\"}")));

    private RuncErrorCases() {}

    /** The recorded lines, by case name. */
    static Map<String, Recorded> recorded() throws IOException {
        Map<String, Recorded> out = new LinkedHashMap<>();
        try (var in = RuncErrorCases.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IOException("missing test resource " + RESOURCE);
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank()) continue;
                Recorded r = Recorded.fromJson(line);
                out.put(r.name(), r);
            }
        }
        return out;
    }

    /**
     * Runs the real runc in a private root and records its failures. Ids, bundle paths and the root
     * become {@code <id>}, {@code <bundle>} and {@code <root>} so recordings compare across runs.
     */
    static final class Recorder implements AutoCloseable {
        static final String CGROUP_PARENT = "hcsshim-test";
        private static final Duration BOUND = Duration.ofSeconds(30);
        private final Path work;
        private final Path root;
        private final List<String> ids = new ArrayList<>();
        private final Map<String, Path> bundles = new LinkedHashMap<>();

        Recorder(Path work) throws IOException {
            this.work = work;
            this.root = Files.createDirectories(work.resolve("root"));
        }

        String newId() {
            String id = LinuxTestSupport.newId();
            ids.add(id);
            return id;
        }

        Path bundleOf(String id) {
            return bundles.get(id);
        }

        interface Spec {
            BusyboxBundle.Builder apply(BusyboxBundle.Builder b);
        }

        Path bundle(String id, Spec spec) throws IOException {
            Path dir = work.resolve("bundles").resolve(id);
            spec.apply(BusyboxBundle.builder(dir).args("sleep", "100").cgroupsPath("/" + CGROUP_PARENT + "/" + id)).build();
            bundles.put(id, dir);
            return dir;
        }

        /** A created container whose process spec was edited: runc must refuse it. */
        Recorded createFails(String name, java.util.function.Consumer<Map<String, Object>> edit) throws Exception {
            String id = newId();
            Path b = bundle(id, x -> x);
            @SuppressWarnings("unchecked")
            Map<String, Object> spec = JSON.readValue(b.resolve("config.json").toFile(), Map.class);
            @SuppressWarnings("unchecked")
            Map<String, Object> process = (Map<String, Object>) spec.get("process");
            edit.accept(process);
            JSON.writeValue(b.resolve("config.json").toFile(), spec);
            return fail(name, "create", "--bundle", b.toString(), id);
        }

        String created() throws Exception {
            String id = newId();
            ok("create", "--bundle", bundle(id, x -> x).toString(), id);
            return id;
        }

        String running() throws Exception {
            String id = created();
            ok("start", id);
            return id;
        }

        String paused() throws Exception {
            String id = running();
            ok("pause", id);
            return id;
        }

        String stopped() throws Exception {
            String id = running();
            ok("kill", id, "9");
            long deadline = System.nanoTime() + BOUND.toNanos();
            while (!call(null, "state", id).stdout().contains("\"status\": \"stopped\"")) {
                if (System.nanoTime() > deadline) throw new IllegalStateException(id + " did not stop");
                Thread.sleep(20);
            }
            return id;
        }

        Recorded exec(String name, String id, String processJson) throws Exception {
            Path spec = Files.writeString(Files.createTempFile(work, "process", ".json"), processJson);
            return fail(name, "exec", "--process", spec.toString(), "--detach", id);
        }

        Recorded update(String name, String id, String resourcesJson) throws Exception {
            return failWithInput(name, resourcesJson, "update", "--resources", "-", id);
        }

        Recorded fail(String name, String... args) throws Exception {
            return failWithInput(name, null, args);
        }

        private Recorded failWithInput(String name, String stdin, String... args) throws Exception {
            Result r = call(stdin, args);
            if (r.exit() == 0) throw new IllegalStateException(name + ": runc " + String.join(" ", args) + " succeeded");
            String line = null;
            for (String l : r.log()) {
                if (OciRuntime.logLineError(l) != null) line = l;
            }
            if (line == null) throw new IllegalStateException(name + ": runc logged no error");
            return new Recorded(name, args[0], r.exit(), normalize(line));
        }

        private void ok(String... args) throws Exception {
            Result r = call(null, args);
            if (r.exit() != 0) throw new IllegalStateException("runc " + String.join(" ", args) + ": " + r.log());
        }

        record Result(int exit, List<String> log, String stdout) {}

        Result call(String stdin, String... args) throws Exception {
            Path logFile = Files.createTempFile(work, "log", ".json");
            // a file, not a pipe: a created container's init inherits runc's stdout and keeps it open
            Path outFile = Files.createTempFile(work, "out", ".txt");
            List<String> cmd = new ArrayList<>(List.of("runc", "--root", root.toString(), "--log", logFile.toString(), "--log-format", "json"));
            cmd.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectOutput(outFile.toFile());
            if (stdin == null) pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Process p = pb.start();
            if (stdin != null) {
                try (var os = p.getOutputStream()) {
                    os.write(stdin.getBytes(StandardCharsets.UTF_8));
                } catch (IOException ignored) {
                    // runc stopped reading: its log says why
                }
            }
            if (!p.waitFor(BOUND.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("runc " + String.join(" ", args) + " hung");
            }
            List<String> log = Files.readAllLines(logFile);
            String out = Files.readString(outFile);
            Files.delete(logFile);
            Files.delete(outFile);
            return new Result(p.exitValue(), log, out);
        }

        private String normalize(String line) {
            String s = line;
            for (Map.Entry<String, Path> b : bundles.entrySet()) s = s.replace(b.getValue().toString(), "<bundle>");
            for (String id : ids) s = s.replace(id, "<id>");
            return s.replace(root.toString(), "<root>").replace(work.toString(), "<work>");
        }

        /** Force-deletes every container it made. */
        @Override
        public void close() throws Exception {
            for (String id : ids) call(null, "delete", "--force", id);
            OciRuntime.deleteTree(root);
        }
    }
}
