package dev.hcsshim.shimdiag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.fixtures.BusyboxBundle;
import dev.hcsshim.fixtures.PrivateContainerd;
import java.io.File;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * shimdiag end to end: a private containerd launches our shim for real busybox containers
 * ({@code c1} alone, {@code g2box} in a group, i.e. a sandbox), and the real CLI in dist/bin talks to
 * them. The shims' sockets live in this test's own directory, so no other shim is ever seen.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ShimDiagIT {
    private static final Duration CTR = Duration.ofSeconds(60);
    private static final String RUNTIME = "io.containerd.runhcs.v1";

    private Path work;
    private Path sockets;
    private Path dist;
    private PrivateContainerd containerd;

    record Result(int code, String out, String err) {
        Result ok() {
            assertEquals(0, code, () -> "exit " + code + "\nstdout: " + out + "\nstderr: " + err);
            return this;
        }

        /** A failure: non-zero exit, nothing on stdout and exactly one line on stderr. */
        Result failsWithOneLine() {
            assertNotEquals(0, code, () -> "expected a failure; stdout: " + out);
            assertEquals("", out);
            assertEquals(1, err.lines().count(), () -> "want one line on stderr, got: " + err);
            return this;
        }
    }

    /** shimdiag exec's FIFO directories that existed before this class ran (e2e runs hold a machine-wide lock). */
    private Set<Path> fifoDirsBefore;

    private Set<Path> newFifoDirs() throws IOException {
        try (Stream<Path> dirs = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return dirs.filter(d -> d.getFileName().toString().startsWith("shimdiag-")).filter(d -> !fifoDirsBefore.contains(d))
                    .collect(Collectors.toSet());
        }
    }

    @BeforeAll
    void startContainers() throws Exception {
        fifoDirsBefore = Set.of();
        fifoDirsBefore = newFifoDirs();
        dist = Path.of(System.getProperty("hcsshim.dist", "../dist")).toAbsolutePath();
        work = Files.createTempDirectory(Path.of("/tmp"), "sd");
        sockets = work.resolve("s");
        Files.createDirectory(sockets, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path rootfs = BusyboxBundle.builder(work.resolve("b")).build().rootfs();
        Files.createDirectories(rootfs.resolve("mnt"));
        containerd = PrivateContainerd.builder(work.resolve("cd"))
                .shimDir(dist.resolve("bin"))
                .env("HCSSHIM_EXTRA_JVM_OPTS", "-Dhcsshim.socket.dir=" + sockets)
                .start();
        containerd.ctr(CTR, "run", "-d", "--runtime", RUNTIME, "--rootfs", rootfs.toString(), "c1", "/bin/sleep", "1000").requireOk();
        containerd.ctr(CTR, "run", "-d", "--runtime", RUNTIME, "--annotation", "io.containerd.runhcs.v1.group=g2",
                "--rootfs", rootfs.toString(), "g2box", "/bin/sleep", "2000").requireOk();
        // Two tasks of one namespace-scoped daemon (named test-n1, after the task it was started for).
        for (String id : List.of("n1", "n2")) {
            containerd.ctr(CTR, "run", "-d", "--runtime", RUNTIME, "--annotation", "io.containerd.runhcs.v1.daemon-scope=namespace",
                    "--rootfs", rootfs.toString(), id, "/bin/sleep", id.equals("n1") ? "3001" : "3002").requireOk();
        }
    }

    @Test
    void aSharedDaemonsTasksAreNamedOneByOne() throws Exception {
        assertEquals("/bin/sleep\u00003002\u0000", shimdiag("exec", "test-n2", "/bin/cat", "/proc/1/cmdline").ok().out(),
                "exec runs in the named task's namespaces");
        assertEquals("/bin/sleep\u00003001\u0000", shimdiag("exec", "test-n1", "/bin/cat", "/proc/1/cmdline").ok().out());
        assertEquals(shimdiag("pid", "test-n1").ok().out(), shimdiag("pid", "test-n2").ok().out(), "one daemon serves both");

        Path file = work.resolve("for-n2.txt");
        Files.writeString(file, "only n2\n");
        shimdiag("share", "--ro", "test-n2", file.toString(), "/mnt/for-n2.txt").ok();
        assertEquals("only n2\n", shimdiag("exec", "test-n2", "/bin/cat", "/mnt/for-n2.txt").ok().out());
        // (the test's containers share one rootfs directory, so n1 sees the mount point, not the mount)
        assertEquals(0, shimdiag("exec", "test-n2", "/bin/grep", "-q", "for-n2", "/proc/self/mountinfo").code());
        assertEquals(1, shimdiag("exec", "test-n1", "/bin/grep", "-q", "for-n2", "/proc/self/mountinfo").code(),
                "n1's mount namespace is untouched");
        assertTrue(shimdiag("exec", "test-nope", "true").failsWithOneLine().err().contains("no shim or task named test-nope"));
    }

    @Test
    void execLeavesNoFifoDirectoryBehind() throws Exception {
        assertEquals("hi\n", shimdiag("exec", "test-c1", "echo", "hi").ok().out());
        shimdiag("exec", "test-c1", "/no/such/program").failsWithOneLine();
        assertEquals(Set.of(), newFifoDirs());
    }

    @AfterAll
    void cleanUp() throws IOException {
        if (containerd != null) {
            for (String id : List.of("c1", "g2box", "n1", "n2")) {
                containerd.ctr(CTR, "task", "kill", "-s", "9", id);
                awaitStopped(id);
                containerd.ctr(CTR, "task", "delete", id);
                containerd.ctr(CTR, "container", "delete", id);
            }
            containerd.close();
        }
        if (work != null) {
            try (Stream<Path> files = Files.walk(work)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private void awaitStopped(String id) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            String ls = containerd.ctr(CTR, "task", "ls").stdout();
            if (ls.lines().noneMatch(l -> l.startsWith(id + " ") && l.contains("RUNNING"))) {
                return;
            }
            Thread.onSpinWait();
        }
    }

    private Result shimdiag(File stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(dist.resolve("bin/shimdiag").toString()));
        cmd.addAll(List.of(args));
        return run(cmd, stdin);
    }

    private Result shimdiag(String... args) throws Exception {
        return shimdiag(new File("/dev/null"), args);
    }

    private Result run(List<String> cmd, File stdin) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(stdin);
        pb.environment().put("HCSSHIM_SOCKET_DIR", sockets.toString());
        Process p = pb.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(p.getErrorStream()));
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("timed out: " + cmd);
        }
        return new Result(p.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
    }

    private static String drain(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** The serving daemon containerd's start launched for {@code id}: found by its command line. */
    private long daemonPid(String id) {
        String marker = containerd.address().toString();
        List<ProcessHandle> daemons = ProcessHandle.allProcesses()
                .filter(h -> h.info().commandLine().map(c -> c.contains(marker) && c.contains("-id " + id + " ")
                        && c.endsWith(" serve")).orElse(false))
                .toList();
        assertEquals(1, daemons.size(), () -> "serving daemons for " + id + ": " + daemons);
        return daemons.getFirst().pid();
    }

    @Test
    void listShowsLiveShimsAndSkipsStaleSockets() throws Exception {
        Path stale = sockets.resolve("stale");
        try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(stale)); // closed below: the file stays and refuses
        }
        Files.writeString(sockets.resolve("stale.json"), "{\"namespace\":\"test\",\"id\":\"stale\",\"pid\":1,"
                + "\"address\":\"unix://" + stale + "\",\"grpcAddress\":\"unix://" + stale + ".grpc\"}");
        try {
            // Each live shim, with the tasks it serves.
            List<String> names = shimdiag("list").ok().out().lines().toList();
            assertEquals(List.of("test-c1\tc1", "test-g2box\tg2box", "test-n1\tn1,n2"), names);
            List<String> withPids = shimdiag("list", "--pids").ok().out().lines().toList();
            assertTrue(withPids.contains("test-c1\t" + daemonPid("c1") + "\tc1"), withPids::toString);
        } finally {
            Files.deleteIfExists(stale);
            Files.deleteIfExists(sockets.resolve("stale.json"));
        }
    }

    @Test
    void pidIsTheDaemonContainerdStarted() throws Exception {
        assertEquals(Long.toString(daemonPid("c1")), shimdiag("pid", "test-c1").ok().out().trim());
        // a unique prefix names the shim too
        assertEquals(Long.toString(daemonPid("g2box")), shimdiag("pid", "test-g").ok().out().trim());
    }

    @Test
    void execRelaysOutputAndExitCode() throws Exception {
        assertEquals("hello diag\n", shimdiag("exec", "test-c1", "echo", "hello", "diag").ok().out());
        Result r = shimdiag("exec", "test-c1", "/bin/sh", "-c", "echo to-err >&2; exit 3");
        assertEquals(3, r.code());
        assertEquals("to-err\n", r.err());
        // host mode: the shim's host, not the container (whose root has no /etc/os-release)
        assertEquals(0, shimdiag("exec", "test-c1", "/bin/test", "-e", "/etc/os-release").code());
    }

    @Test
    void execRelaysStdin() throws Exception {
        Path input = work.resolve("input.txt");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            text.append("line ").append(i).append('\n');
        }
        Files.writeString(input, text);
        assertEquals(text.toString(), shimdiag(input.toFile(), "exec", "test-c1", "cat").ok().out());
    }

    @Test
    void execWithTerminalUnderAPty() throws Exception {
        String inner = dist.resolve("bin/shimdiag") + " exec -t test-c1 /bin/sh -c 'tty; exit 5'";
        Result r = run(List.of("script", "-qfec", inner, "/dev/null"), new File("/dev/null"));
        assertEquals(5, r.code(), () -> "stdout: " + r.out() + "\nstderr: " + r.err());
        assertTrue(r.out().contains("/dev/pts/"), r.out());
    }

    @Test
    void execInASandboxRunsInItsNamespaces() throws Exception {
        String init = shimdiag("exec", "test-g2box", "/bin/cat", "/proc/1/cmdline").ok().out();
        assertEquals("/bin/sleep\0" + "2000\0", init);
        assertEquals("/tmp\n", shimdiag("exec", "-w", "/tmp", "test-g2box", "pwd").ok().out());
        assertEquals(4, shimdiag("exec", "test-g2box", "sh", "-c", "exit 4").code());
    }

    @Test
    void execEndsWhenTheClientGoesAway() throws Exception {
        long shim = daemonPid("c1");
        ProcessBuilder pb = new ProcessBuilder(dist.resolve("bin/shimdiag").toString(), "exec", "test-c1", "/bin/sleep", "311")
                .redirectInput(new File("/dev/null")).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("HCSSHIM_SOCKET_DIR", sockets.toString());
        Process client = pb.start();
        try {
            ProcessHandle sleeper = awaitDescendant(shim, "sleep 311", Duration.ofSeconds(60));
            // shimdiag removes its FIFOs once both sides hold them open, so a SIGKILL leaves nothing
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!newFifoDirs().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20); // polling a bounded condition
            }
            assertEquals(Set.of(), newFifoDirs(), "shimdiag's FIFO directory while the exec runs");
            client.destroyForcibly(); // the connection drops: the call is cancelled, the process killed
            sleeper.onExit().get(20, TimeUnit.SECONDS);
        } finally {
            client.destroyForcibly();
        }
    }

    private static ProcessHandle awaitDescendant(long parent, String commandLine, Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (System.nanoTime() < deadline) {
            var found = ProcessHandle.of(parent).stream().flatMap(ProcessHandle::descendants)
                    .filter(h -> h.info().commandLine().map(c -> c.endsWith(commandLine)).orElse(false)).findFirst();
            if (found.isPresent()) {
                return found.get();
            }
            Thread.sleep(50); // polling a bounded condition, not a fixed wait
        }
        throw new AssertionError("no descendant of " + parent + " running " + commandLine + " within " + bound);
    }

    @Test
    void stacksShowTheDaemonThreads() throws Exception {
        String stacks = shimdiag("stacks", "test-c1").ok().out();
        assertTrue(stacks.contains("\"exit-watcher\""), stacks);
        assertTrue(stacks.contains("\"stdio-relays\""), stacks);
        assertTrue(stacks.contains("dev.hcsshim.linux.RelayLoop.run"), "the relay loop waiting in epoll\n" + stacks);
        assertTrue(stacks.contains("dev.hcsshim.shim.ServeCommand.run"), stacks);
        assertTrue(stacks.contains("dev.hcsshim.shim.diag.DiagService"), "the handler's own virtual thread\n" + stacks);
    }

    @Test
    void tasksListTheContainerAndItsExecs() throws Exception {
        assertEquals("c1\n", shimdiag("tasks", "test-c1").ok().out());
        containerd.ctr(CTR, "task", "exec", "-d", "--exec-id", "e1", "c1", "/bin/sleep", "500").requireOk();
        try {
            String out = shimdiag("tasks", "--execs", "test-c1").ok().out();
            assertEquals("c1\n  e1\trunning\n", out);
        } finally {
            containerd.ctr(CTR, "task", "kill", "-s", "9", "--exec-id", "e1", "c1");
        }
    }

    @Test
    void shareMakesAHostFileVisibleAndHonoursReadOnly() throws Exception {
        Path file = work.resolve("shared.txt");
        Files.writeString(file, "from the host\n");
        shimdiag("share", "test-c1", file.toString(), "/mnt/shared.txt").ok();
        assertEquals("from the host\n",
                containerd.ctr(CTR, "task", "exec", "--exec-id", "r1", "c1", "/bin/cat", "/mnt/shared.txt").requireOk().stdout());
        containerd.ctr(CTR, "task", "exec", "--exec-id", "w1", "c1", "/bin/sh", "-c", "echo rw >> /mnt/shared.txt").requireOk();
        assertEquals("from the host\nrw\n", Files.readString(file));

        shimdiag("share", "--ro", "test-c1", file.toString(), "/mnt/ro/shared.txt").ok();
        PrivateContainerd.CtrResult w = containerd.ctr(CTR, "task", "exec", "--exec-id", "w2", "c1", "/bin/sh", "-c",
                "echo nope >> /mnt/ro/shared.txt");
        assertNotEquals(0, w.exitCode());
        assertTrue((w.stdout() + w.stderr()).contains("Read-only"), w.stdout() + w.stderr());
        assertEquals("from the host\nrw\n", Files.readString(file));
        // the mounts live in the container's namespace only
        assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains(file.toString()));
    }

    @Test
    void badArgumentsGiveOneClearLine() throws Exception {
        assertTrue(shimdiag("pid", "nosuch").failsWithOneLine().err().contains("no shim or task named nosuch"));
        assertTrue(shimdiag("pid", "test-").failsWithOneLine().err().contains("ambiguous"));
        assertTrue(shimdiag("exec", "test-c1", "/no/such/binary").failsWithOneLine().err().contains("NOT_FOUND"));
        assertTrue(shimdiag("exec", "test-g2box", "/usr/bin/nsenter").failsWithOneLine().err().contains("NOT_FOUND"));
        assertEquals(2, shimdiag("exec", "test-c1").failsWithOneLine().code());
        assertTrue(shimdiag("share", "test-c1", "relative", "/mnt/x").failsWithOneLine().err().contains("INVALID_ARGUMENT"));
        assertTrue(shimdiag("share", "test-c1", work.toString(), "/mnt/../etc").failsWithOneLine().err().contains("INVALID_ARGUMENT"));
        assertTrue(shimdiag("share", "test-c1", "/no/such/path", "/mnt/x").failsWithOneLine().err().contains("NOT_FOUND"));
        assertEquals(0, shimdiag("exec", "--help").code());
        for (String sub : List.of("list", "stacks", "tasks", "share", "pid")) {
            assertTrue(shimdiag(sub, "--help").ok().out().contains("Usage: shimdiag " + sub), sub);
        }
    }
}
