package dev.hcsshim.linux;

import static dev.hcsshim.linux.LinuxTestSupport.newId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.fixtures.BusyboxBundle;
import dev.hcsshim.process.ExitStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The OCI backend against the real runc and a busybox bundle. */
class LinuxRuncTest {
    private static final LinuxContainer.IoSpec OUT_ERR = new LinuxContainer.IoSpec(false, false, true, true);
    private RuncFixture fx;
    @TempDir
    Path dir;

    @BeforeEach
    void setUp() throws Exception {
        fx = new RuncFixture();
    }

    @AfterEach
    void tearDown() throws Exception {
        fx.close();
    }

    @AfterAll
    static void removeCgroupParent() {
        for (String ctl : List.of("memory", "cpu,cpuacct", "pids", "freezer", "blkio", "devices", "cpuset", "net_cls,net_prio",
                "perf_event", "hugetlb", "rdma", "misc", "systemd")) {
            new java.io.File("/sys/fs/cgroup/" + ctl + "/" + RuncFixture.CGROUP_PARENT).delete();
        }
    }

    private ExitStatus exit(LinuxProcess p) throws Exception {
        return p.exitStatus().get(30, TimeUnit.SECONDS);
    }

    @Test
    void echoRelaysStdoutAndStderrAndPropagatesExitCode() throws Exception {
        String id = newId();
        BusyboxBundle b = fx.bundle(dir, id).args("sh", "-c", "echo hello; echo oops >&2; exit 3").build();
        LinuxContainer c = fx.create(id, b, OUT_ERR, List.of());
        assertEquals("created", c.state().status());
        Collector out = fx.collect("out", c.init().stdoutFd());
        Collector err = fx.collect("err", c.init().stderrFd());
        c.start();
        assertEquals(3, exit(c.init()).status());
        assertEquals("hello\n", fx.text(out));
        assertEquals("oops\n", fx.text(err));
        assertEquals(3, c.init().exitCode());
        assertEquals("stopped", c.state().status());
        c.close();
        c.close(); // idempotent
        OciRuntimeException gone = assertThrows(OciRuntimeException.class, c::state);
        assertEquals(OciRuntimeException.Kind.NOT_FOUND, gone.kind());
    }

    @Test
    void fiftyMegabytesFromAContainer() throws Exception {
        String id = newId();
        BusyboxBundle b = fx.bundle(dir, id).args("dd", "if=/dev/zero", "bs=1048576", "count=50").build();
        LinuxContainer c = fx.create(id, b, new LinuxContainer.IoSpec(false, false, true, false), List.of());
        Collector sink = new Collector(false);
        SpliceRelay r = SpliceRelay.start("dd", c.init().stdoutFd(), sink.writeFd);
        c.start();
        assertEquals(0, exit(c.init()).status());
        assertTrue(r.awaitOrCancel(30, TimeUnit.SECONDS), "relay reaches EOF after the process exited");
        sink.closeWriter();
        sink.bytes.get(30, TimeUnit.SECONDS);
        assertEquals(50L << 20, r.bytesCopied());
        var sha = java.security.MessageDigest.getInstance("SHA-256");
        byte[] zeros = new byte[1 << 20];
        for (int i = 0; i < 50; i++) sha.update(zeros);
        assertEquals(java.util.HexFormat.of().formatHex(sha.digest()), sink.sha256());
        sink.close();
    }

    @Test
    void stdinReachesTheContainer() throws Exception {
        String id = newId();
        BusyboxBundle b = fx.bundle(dir, id).args("cat").build();
        LinuxContainer c = fx.create(id, b, LinuxContainer.IoSpec.PIPES, List.of());
        Collector out = fx.collect("cat", c.init().stdoutFd());
        c.start();
        c.init().stdin().write("through stdin\n".getBytes());
        c.init().closeStdin();
        assertEquals(0, exit(c.init()).status());
        assertEquals("through stdin\n", fx.text(out));
    }

    @Test
    void killGives128PlusSignal() throws Exception {
        String id = newId();
        BusyboxBundle b = fx.bundle(dir, id).args("sleep", "100").build();
        LinuxContainer c = fx.create(id, b, LinuxContainer.IoSpec.NONE, List.of());
        c.start();
        assertEquals("running", c.state().status());
        assertTrue(c.init().kill());
        ExitStatus st = exit(c.init());
        assertEquals(137, st.status());
        assertEquals(9, st.signal());
        assertFalse(c.init().kill(), "already exited");
    }

    @Test
    void execRunsWithItsOwnExitCodeAndPsListsIt() throws Exception {
        String id = newId();
        BusyboxBundle b = fx.bundle(dir, id).args("sleep", "100").build();
        LinuxContainer c = fx.create(id, b, LinuxContainer.IoSpec.NONE, List.of());
        c.start();
        LinuxProcess sleeper = c.createProcess(new LinuxContainer.ExecConfig(
                b.processSpec(false, "sleep", "50"), LinuxContainer.IoSpec.NONE));
        List<Integer> pids = c.pids();
        assertTrue(pids.contains(c.init().pid()), pids + " has init " + c.init().pid());
        assertTrue(pids.contains(sleeper.pid()), pids + " has exec " + sleeper.pid());
        LinuxProcess p = c.createProcess(b.processSpec(false, "sh", "-c", "echo from exec; exit 5"));
        Collector out = fx.collect("exec", p.stdoutFd());
        assertEquals(5, exit(p).status());
        assertEquals("from exec\n", fx.text(out));
        p.close();
        assertTrue(sleeper.signal(15));
        assertEquals(128 + 15, exit(sleeper).status());
        assertFalse(c.init().exitStatus().isDone(), "init unaffected by execs");
    }

    @Test
    void pauseAndResume() throws Exception {
        String id = newId();
        BusyboxBundle b = fx.bundle(dir, id).args("sleep", "100").build();
        LinuxContainer c = fx.create(id, b, LinuxContainer.IoSpec.NONE, List.of());
        c.start();
        c.pause();
        assertEquals("paused", c.state().status());
        OciRuntimeException e = assertThrows(OciRuntimeException.class, c::pause);
        assertEquals(OciRuntimeException.Kind.FAILED_PRECONDITION, e.kind(), e.getMessage());
        c.resume();
        assertEquals("running", c.state().status());
    }

    @Test
    void updateMemoryLimitAndStats() throws Exception {
        String id = newId();
        BusyboxBundle b = fx.bundle(dir, id).args("sleep", "100").memoryLimit(256L << 20).build();
        LinuxContainer c = fx.create(id, b, LinuxContainer.IoSpec.NONE, List.of());
        c.start();
        Path limit = Path.of("/sys/fs/cgroup/memory", RuncFixture.CGROUP_PARENT, id, "memory.limit_in_bytes");
        assertEquals(256L << 20, Long.parseLong(Files.readString(limit).trim()));
        c.modify("{\"memory\":{\"limit\":" + (128L << 20) + "}}");
        assertEquals(128L << 20, Long.parseLong(Files.readString(limit).trim()));
        OciStats s = c.stats();
        assertTrue(s.memory().usage().usage() > 0, "memory usage: " + s.memory());
        assertEquals(128L << 20, s.memory().usage().limit());
        assertTrue(s.pids().current() >= 1, "pids: " + s.pids());
        assertTrue(s.cpu().total() > 0, "cpu: " + s.cpu());
    }

    @Test
    void terminalThroughConsoleSocket() throws Exception {
        String id = newId();
        BusyboxBundle b = fx.bundle(dir, id).args("sh", "-c", "tty; echo hi").terminal(true).build();
        LinuxContainer c = fx.create(id, b, LinuxContainer.IoSpec.TERMINAL, List.of());
        assertTrue(c.init().terminal());
        int master = c.init().ptyMasterFd();
        assertTrue(master >= 0);
        c.init().resizeConsole(100, 40);
        Collector out = fx.collect("pty", master);
        c.start();
        assertEquals(0, exit(c.init()).status());
        String text = fx.text(out);
        assertTrue(text.matches("(?s)/dev/pts/\\d+\\r?\\nhi\\r?\\n"), text);
    }

    @Test
    void terminalExec() throws Exception {
        String id = newId();
        BusyboxBundle b = fx.bundle(dir, id).args("sleep", "100").build();
        LinuxContainer c = fx.create(id, b, LinuxContainer.IoSpec.NONE, List.of());
        c.start();
        // waits for a line, so the resize lands before stty reads the size
        LinuxProcess p = c.createProcess(b.processSpec(true, "sh", "-c", "read x; stty size"));
        assertTrue(p.terminal());
        assertEquals(null, p.stderr(), "a terminal merges stderr");
        p.resizeConsole(100, 40);
        Collector out = fx.collect("pty-exec", p.ptyMasterFd());
        p.stdin().write("go\n".getBytes());
        assertEquals(0, exit(p).status());
        assertTrue(fx.text(out).contains("40 100"), "stty size after resize");
        p.close();
    }

    @Test
    void errorsCarryRuncMessages() throws Exception {
        OciRuntimeException e = assertThrows(OciRuntimeException.class, () -> fx.runtime.state("no-such-container"));
        assertEquals(OciRuntimeException.Kind.NOT_FOUND, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        String id = newId();
        BusyboxBundle b = fx.bundle(dir, id).args("sleep", "100").build();
        fx.create(id, b, LinuxContainer.IoSpec.NONE, List.of());
        OciRuntimeException dup = assertThrows(OciRuntimeException.class,
                () -> fx.runtime.create(id, b.dir(), OciRuntime.Stdio.NULL, null));
        assertEquals(OciRuntimeException.Kind.ALREADY_EXISTS, dup.kind(), dup.getMessage());
    }

    @Test
    void checkpointWorksOrSaysWhyNot() throws Exception {
        String id = newId();
        BusyboxBundle b = fx.bundle(dir, id).args("sleep", "100").build();
        LinuxContainer c = fx.create(id, b, LinuxContainer.IoSpec.NONE, List.of());
        c.start();
        Path images = dir.resolve("ckpt");
        try {
            c.checkpoint(images, dir.resolve("ckpt-work"), true);
            assertTrue(Files.exists(images.resolve("inventory.img")), "criu image written");
        } catch (OciRuntimeException.CheckpointNotSupported e) {
            assertTrue(e.getMessage().contains("criu"), e.getMessage());
            assertEquals(OciRuntimeException.Kind.FAILED_PRECONDITION, e.kind());
            assertTrue(e.getMessage().startsWith("checkpoint of " + id + " is not possible: "), e.getMessage());
        }
    }
}
