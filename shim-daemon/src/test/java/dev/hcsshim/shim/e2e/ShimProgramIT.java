package dev.hcsshim.shim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.fixtures.BusyboxBundle;
import dev.hcsshim.fixtures.PrivateContainerd.CtrResult;
import dev.hcsshim.proto.task.v2.DeleteResponse;
import dev.hcsshim.proto.task.v2.ShutdownRequest;
import dev.hcsshim.proto.task.v2.TaskGrpc;
import dev.hcsshim.ttrpc.TtrpcClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The program containerd runs: {@code start} prints nothing but the address, {@code delete} is
 * idempotent and answers a DeleteResponse, runtime options are checked, tasks of a group share one
 * daemon, and the daemon logs into containerd's log.
 */
class ShimProgramIT {
    static ShimHarness h;
    static Path shim;

    @BeforeAll
    static void up() throws IOException {
        h = ShimHarness.start("program-it");
        shim = Path.of(System.getProperty("hcsshim.dist", "../dist")).toAbsolutePath().normalize()
                .resolve("bin/containerd-shim-runhcs-v1");
    }

    @AfterAll
    static void down() throws IOException {
        if (h != null) {
            h.close();
        }
    }

    record Result(int exit, byte[] stdout, String stderr) {
        String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }
    }

    /** Runs the shim binary as containerd does: from the bundle, options on stdin. */
    static Result shim(Path bundle, byte[] stdin, String... args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(concat(List.of(shim.toString()), List.of(args))).directory(bundle.toFile());
        pb.environment().put("HCSSHIM_EXTRA_JVM_OPTS", "-Dhcsshim.socket.dir=" + h.socketDir);
        pb.environment().put("TTRPC_ADDRESS", h.containerd.ttrpcAddress().toString());
        Process p = pb.start();
        try (var in = p.getOutputStream()) {
            in.write(stdin);
        }
        var out = java.util.concurrent.CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        assertTrue(p.waitFor(90, TimeUnit.SECONDS), "shim " + String.join(" ", args) + " did not finish");
        return new Result(p.exitValue(), out.get(), new String(err.get(), StandardCharsets.UTF_8));
    }

    private static byte[] readAll(java.io.InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static Path bundle(String name) throws IOException {
        return BusyboxBundle.builder(h.work.resolve(name)).args("/bin/true").build().dir();
    }

    @Test
    void startPrintsOnlyTheAddressAndTheDaemonExitsOnShutdown() throws Exception {
        Path bundle = bundle("start-only");
        Result r = shim(bundle, new byte[0], "-namespace", "program-it", "-address", h.containerd.address().toString(),
                "-publish-binary", "/usr/bin/containerd", "-id", "start-only", "start");
        assertEquals(0, r.exit(), r.stderr());
        assertEquals("", r.stderr());
        assertTrue(r.out().matches("unix://" + h.socketDir + "/[0-9a-f]{64}"), r.out());
        assertEquals(r.out(), Files.readString(bundle.resolve("address")));
        Path socket = Path.of(r.out().substring("unix://".length()));
        assertTrue(Files.exists(socket));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));

        try (TtrpcClient client = TtrpcClient.forSocket(socket)) {
            client.call(TaskGrpc.getShutdownMethod(), ShutdownRequest.newBuilder().setId("start-only").build(),
                    Map.of("containerd-namespace-ttrpc", "program-it"), Duration.ofSeconds(30)).get(60, TimeUnit.SECONDS);
        }
        ShimHarness.await("the idle daemon to exit and remove its socket", Duration.ofSeconds(30), () -> !Files.exists(socket));
    }

    @Test
    void sigtermClosesTheDaemonCleanly() throws Exception {
        Path bundle = bundle("sigterm");
        Result r = shim(bundle, new byte[0], "-namespace", "program-it", "-address", h.containerd.address().toString(), "-id", "sigterm", "start");
        assertEquals(0, r.exit(), r.stderr());
        Path socket = Path.of(r.out().substring("unix://".length()));
        ProcessHandle daemon = h.liveShims().stream()
                .filter(p -> p.info().commandLine().orElse("").contains(" -id sigterm ")).findFirst().orElseThrow();
        // start answers before its daemon serves (it hands the daemon the socket it bound); one
        // killed before then leaves that socket to delete, as containerd runs after a shim dies.
        ShimHarness.await("the daemon to serve", Duration.ofSeconds(30), () -> Files.exists(Path.of(socket + ".json")));
        assertTrue(daemon.destroy(), "SIGTERM sent");
        daemon.onExit().get(30, TimeUnit.SECONDS);
        ShimHarness.await("sockets removed", Duration.ofSeconds(10), () -> !Files.exists(socket)
                && !Files.exists(Path.of(socket + ".grpc")) && !Files.exists(Path.of(socket + ".json")));
    }

    @Test
    void aDaemonThatCannotServeTheSocketItWasHandedRemovesItAndExits() throws Exception {
        Path bundle = bundle("bad-handoff");
        Path socket = h.work.resolve("handed-over.sock");
        // what a start leaves once it has answered: a socket file at the address it printed
        try (var listener = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            listener.bind(java.net.UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket));
        // descriptor 99 is not open in the daemon: adopting it fails where containerd already dials
        Result r = shim(bundle, new byte[0], "-namespace", "program-it", "-address", h.containerd.address().toString(),
                "-id", "bad-handoff", "-bundle", bundle.toString(), "-socket", socket.toString(), "-socket-fd", "99", "serve");
        assertEquals(1, r.exit(), r.stderr());
        assertEquals("", r.out(), "no readiness line: its start has answered already");
        assertFalse(Files.exists(socket), "the socket its start bound is removed");
        assertTrue(h.liveShims().stream().noneMatch(p -> p.info().commandLine().orElse("").contains(" -id bad-handoff ")));
    }

    @Test
    void malformedOrForeignRuntimeOptionsAreRefused() throws Exception {
        Path bundle = bundle("bad-options");
        Result garbage = shim(bundle, new byte[] {(byte) 0xff, 0x01, 0x02}, "-namespace", "program-it", "-address",
                h.containerd.address().toString(), "-id", "bad-options", "start");
        assertEquals(1, garbage.exit());
        assertTrue(garbage.stderr().contains("malformed runtime options"), garbage.stderr());
        assertEquals("", garbage.out());

        // ctr --runtime-config-path hands us runtimeoptions.v1.Options naming the file, as CRI does on Linux
        Path typo = h.work.resolve("typo-options.toml");
        Files.writeString(typo, "DaemonScop = \"namespace\"\n");
        CtrResult unknown = h.ctr(h.runArgs(List.of("--rm", "--runtime-config-path", typo.toString()), "typo-opts", "/bin/true"));
        assertNotEquals(0, unknown.exitCode());
        assertTrue(unknown.stderr().contains("runtime options file " + typo + ": unknown option DaemonScop"), unknown.stderr());
        CtrResult notToml = h.ctr(h.runArgs(List.of("--rm", "--runtime-config-path", "/proc/self/status"), "foreign-opts", "/bin/true"));
        assertNotEquals(0, notToml.exitCode());
        assertTrue(notToml.stderr().contains("runtime options file /proc/self/status are not valid TOML"), notToml.stderr());
        assertTrue(h.liveShims().stream().noneMatch(p -> p.info().commandLine().orElse("").matches(".*(typo|foreign)-opts.*")));
    }

    @Test
    void aRuntimeOptionsFileChoosesTheDaemonScope() throws Exception {
        Path options = h.work.resolve("shared-options.toml");
        Files.writeString(options, """
                # the handler's options, as containerd's CRI plugin passes them on Linux
                DaemonScope = "namespace"
                DefaultContainerAnnotations = { "example.com/owner" = "tests" }
                """);
        List<String> withOptions = List.of("-d", "--runtime-config-path", options.toString());
        h.ctr(h.runArgs(withOptions, "ns-a", "/bin/sleep", "1000")).requireOk();
        h.ctr(h.runArgs(withOptions, "ns-b", "/bin/sleep", "1000")).requireOk();
        Path state = h.containerd.workDir().resolve("state/io.containerd.runtime.v2.task/program-it");
        assertEquals(Files.readString(state.resolve("ns-a/address")), Files.readString(state.resolve("ns-b/address")));
        assertEquals(0, h.liveShims().stream().filter(p -> p.info().commandLine().orElse("").contains(" -id ns-b ")).count(),
                "ns-b joined ns-a's daemon");
        h.remove("ns-a");
        h.remove("ns-b");
        ShimHarness.await("the namespace's daemon to exit", Duration.ofSeconds(30),
                () -> h.liveShims().stream().noneMatch(p -> p.info().commandLine().orElse("").contains(" -id ns-a ")));
    }

    @Test
    void deleteIsIdempotentAndAnswersADeleteResponse() throws Exception {
        Path bundle = bundle("gone");
        for (int i = 0; i < 2; i++) {
            Result r = shim(bundle, new byte[0], "-namespace", "program-it", "-address", h.containerd.address().toString(),
                    "-id", "gone", "-bundle", bundle.toString(), "delete");
            assertEquals(0, r.exit(), r.stderr());
            DeleteResponse response = DeleteResponse.parseFrom(r.stdout());
            assertEquals(137, response.getExitStatus());
            assertTrue(response.getExitedAt().getSeconds() > 0);
        }
    }

    @Test
    void versionFlag() throws Exception {
        Result r = shim(h.work, new byte[0], "-v");
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("containerd-shim-runhcs-v1") && r.out().contains("Version:"), r.out());
    }

    @Test
    void tasksOfAGroupShareOneDaemon() throws Exception {
        String group = "--annotation=io.containerd.runhcs.v1.group=pod1";
        h.ctr(h.runArgs(List.of("-d", group), "pod1-a", "/bin/sleep", "1000")).requireOk();
        h.ctr(h.runArgs(List.of("-d", group), "pod1-b", "/bin/sleep", "1000")).requireOk();
        Path state = h.containerd.workDir().resolve("state/io.containerd.runtime.v2.task/program-it");
        assertEquals(Files.readString(state.resolve("pod1-a/address")), Files.readString(state.resolve("pod1-b/address")));
        assertEquals(1, h.liveShims().stream().filter(p -> p.info().commandLine().orElse("").contains(" -id pod1-a ")).count());
        assertEquals(0, h.liveShims().stream().filter(p -> p.info().commandLine().orElse("").contains(" -id pod1-b ")).count());

        h.remove("pod1-a");
        assertEquals("RUNNING", h.taskStatus("pod1-b").orElseThrow(), "the group's daemon still serves the other task");
        CtrResult exec = h.ctr("task", "exec", "--exec-id", "still", "pod1-b", "/bin/echo", "alive").requireOk();
        assertEquals("alive\n", exec.stdout());
        h.remove("pod1-b");
        ShimHarness.await("the group's daemon to exit", Duration.ofSeconds(30),
                () -> h.liveShims().stream().noneMatch(p -> p.info().commandLine().orElse("").contains(" -id pod1-a ")));
        // containerd stopped reading pod1-a's log at its delete: what the daemon said after it
        // reached containerd's log through pod1-b's.
        ShimHarness.await("the daemon's lines after its first task's delete in containerd's log", Duration.ofSeconds(10),
                () -> h.containerd.log().contains("deleted task pod1-b"));
    }

    @Test
    void theDaemonLogsIntoContainerdsLog() {
        h.run("logged", "/bin/true").requireOk();
        String log = h.containerd.log();
        assertTrue(log.contains("[runhcs]") && log.contains("serving io.containerd.runhcs.v1"), "containerd's log:\n" + log);
    }
}
