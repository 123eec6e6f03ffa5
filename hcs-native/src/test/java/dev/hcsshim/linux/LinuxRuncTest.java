package dev.hcsshim.linux;

import static dev.hcsshim.linux.LinuxTestSupport.newId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.errdefs.ErrorKind;
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

/** {@link OciRuntime} against the real runc and a busybox bundle, with the stdio pieces the shim uses. */
class LinuxRuncTest {
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
        LinuxTestSupport.removeCgroupParent(RuncFixture.CGROUP_PARENT);
    }

    private ExitStatus exit(RuncFixture.Proc p) throws Exception {
        return p.exit();
    }

    @Test
    void echoRelaysStdoutAndStderrAndPropagatesExitCode() throws Exception {
        String id = newId();
        BusyboxBundle b = fx.bundle(dir, id).args("sh", "-c", "echo hello; echo oops >&2; exit 3").build();
        RuncFixture.Container c = fx.create(id, b, RuncFixture.Io.OUT_ERR, List.of());
        assertEquals("created", fx.runtime.state(id).status());
        Collector out = fx.collect("out", c.init().pipes().stdoutFd());
        Collector err = fx.collect("err", c.init().pipes().stderrFd());
        fx.runtime.start(id);
        assertEquals(3, exit(c.init()).status());
        assertEquals("hello\n", fx.text(out));
        assertEquals("oops\n", fx.text(err));
        assertEquals("stopped", fx.runtime.state(id).status());
        fx.runtime.delete(id, false);
        OciRuntimeException gone = assertThrows(OciRuntimeException.class, () -> fx.runtime.state(id));
        assertEquals(ErrorKind.NOT_FOUND, gone.kind());
    }

    @Test
    void fiftyMegabytesFromAContainer() throws Exception {
        String id = newId();
        BusyboxBundle b = fx.bundle(dir, id).args("dd", "if=/dev/zero", "bs=1048576", "count=50").build();
        RuncFixture.Container c = fx.create(id, b, RuncFixture.Io.OUT, List.of());
        Collector sink = new Collector(false);
        SpliceRelay r = SpliceRelay.start("dd", c.init().pipes().stdoutFd(), sink.writeFd);
        fx.runtime.start(id);
        assertEquals(0, exit(c.init()).status());
        assertEquals(50L << 20, r.done().get(30, TimeUnit.SECONDS), "relay reaches EOF after the process exited");
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
        RuncFixture.Container c = fx.create(id, b, RuncFixture.Io.PIPES, List.of());
        Collector out = fx.collect("cat", c.init().pipes().stdoutFd());
        fx.runtime.start(id);
        FdStreams.output(c.init().pipes().stdinFd()).write("through stdin\n".getBytes());
        c.init().pipes().closeStdin();
        assertEquals(0, exit(c.init()).status());
        assertEquals("through stdin\n", fx.text(out));
    }

    @Test
    void killGives128PlusSignal() throws Exception {
        String id = newId();
        BusyboxBundle b = fx.bundle(dir, id).args("sleep", "100").build();
        RuncFixture.Container c = fx.create(id, b, RuncFixture.Io.NONE, List.of());
        fx.runtime.start(id);
        assertEquals("running", fx.runtime.state(id).status());
        fx.runtime.kill(id, 9, false);
        ExitStatus st = exit(c.init());
        assertEquals(137, st.status());
        assertEquals(9, st.signal());
        assertFalse(fx.runtime.watcher().signal(c.init().pid(), 9), "already exited");
    }

    @Test
    void execRunsWithItsOwnExitCodeAndPsListsIt() throws Exception {
        String id = newId();
        BusyboxBundle b = fx.bundle(dir, id).args("sleep", "100").build();
        RuncFixture.Container c = fx.create(id, b, RuncFixture.Io.NONE, List.of());
        fx.runtime.start(id);
        RuncFixture.Proc sleeper = fx.exec(id, b.processSpec(false, "sleep", "50"), RuncFixture.Io.NONE);
        List<Integer> pids = fx.runtime.ps(id);
        assertTrue(pids.contains(c.init().pid()), pids + " has init " + c.init().pid());
        assertTrue(pids.contains(sleeper.pid()), pids + " has exec " + sleeper.pid());
        RuncFixture.Proc p = fx.exec(id, b.processSpec(false, "sh", "-c", "echo from exec; exit 5"), RuncFixture.Io.PIPES);
        Collector out = fx.collect("exec", p.pipes().stdoutFd());
        assertEquals(5, exit(p).status());
        assertEquals("from exec\n", fx.text(out));
        assertTrue(fx.runtime.watcher().signal(sleeper.pid(), 15));
        assertEquals(128 + 15, exit(sleeper).status());
        assertFalse(c.init().started().exit().isDone(), "init unaffected by execs");
    }

    @Test
    void pauseAndResume() throws Exception {
        String id = newId();
        BusyboxBundle b = fx.bundle(dir, id).args("sleep", "100").build();
        fx.create(id, b, RuncFixture.Io.NONE, List.of());
        fx.runtime.start(id);
        fx.runtime.pause(id);
        assertEquals("paused", fx.runtime.state(id).status());
        OciRuntimeException e = assertThrows(OciRuntimeException.class, () -> fx.runtime.pause(id));
        assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind(), e.getMessage());
        fx.runtime.resume(id);
        assertEquals("running", fx.runtime.state(id).status());
    }

    @Test
    void updateMemoryLimitAndStats() throws Exception {
        String id = newId();
        BusyboxBundle b = fx.bundle(dir, id).args("sleep", "100").memoryLimit(256L << 20).build();
        fx.create(id, b, RuncFixture.Io.NONE, List.of());
        fx.runtime.start(id);
        Path limit = Path.of("/sys/fs/cgroup/memory", RuncFixture.CGROUP_PARENT, id, "memory.limit_in_bytes");
        assertEquals(256L << 20, Long.parseLong(Files.readString(limit).trim()));
        fx.runtime.update(id, "{\"memory\":{\"limit\":" + (128L << 20) + "}}");
        assertEquals(128L << 20, Long.parseLong(Files.readString(limit).trim()));
        OciStats s = fx.runtime.stats(id);
        assertTrue(s.memory().usage().usage() > 0, "memory usage: " + s.memory());
        assertEquals(128L << 20, s.memory().usage().limit());
        assertTrue(s.pids().current() >= 1, "pids: " + s.pids());
        assertTrue(s.cpu().total() > 0, "cpu: " + s.cpu());
    }

    @Test
    void terminalThroughConsoleSocket() throws Exception {
        String id = newId();
        BusyboxBundle b = fx.bundle(dir, id).args("sh", "-c", "tty; echo hi").terminal(true).build();
        RuncFixture.Container c = fx.create(id, b, RuncFixture.Io.TERMINAL, List.of());
        int master = c.init().ptyMaster();
        assertTrue(master >= 0);
        ConsoleSocket.resize(master, 100, 40);
        Collector out = fx.collect("pty", master);
        fx.runtime.start(id);
        assertEquals(0, exit(c.init()).status());
        String text = fx.text(out);
        assertTrue(text.matches("(?s)/dev/pts/\\d+\\r?\\nhi\\r?\\n"), text);
    }

    @Test
    void terminalExec() throws Exception {
        String id = newId();
        BusyboxBundle b = fx.bundle(dir, id).args("sleep", "100").build();
        fx.create(id, b, RuncFixture.Io.NONE, List.of());
        fx.runtime.start(id);
        // waits for a line, so the resize lands before stty reads the size
        RuncFixture.Proc p = fx.exec(id, b.processSpec(true, "sh", "-c", "read x; stty size"), RuncFixture.Io.TERMINAL);
        ConsoleSocket.resize(p.ptyMaster(), 100, 40);
        int input = Fds.dup(p.ptyMaster());
        Collector out = fx.collect("pty-exec", p.ptyMaster());
        FdStreams.output(input).write("go\n".getBytes());
        assertEquals(0, exit(p).status());
        assertTrue(fx.text(out).contains("40 100"), "stty size after resize");
        Fds.closeQuietly(input);
    }

    @Test
    void errorsCarryRuncMessages() throws Exception {
        OciRuntimeException e = assertThrows(OciRuntimeException.class, () -> fx.runtime.state("no-such-container"));
        assertEquals(ErrorKind.NOT_FOUND, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        String id = newId();
        BusyboxBundle b = fx.bundle(dir, id).args("sleep", "100").build();
        fx.create(id, b, RuncFixture.Io.NONE, List.of());
        OciRuntimeException dup = assertThrows(OciRuntimeException.class,
                () -> fx.runtime.create(id, b.dir(), OciRuntime.Stdio.NULL, null));
        assertEquals(ErrorKind.ALREADY_EXISTS, dup.kind(), dup.getMessage());
    }

    @Test
    void checkpointWorksOrSaysWhyNot() throws Exception {
        String id = newId();
        BusyboxBundle b = fx.bundle(dir, id).args("sleep", "100").build();
        fx.create(id, b, RuncFixture.Io.NONE, List.of());
        fx.runtime.start(id);
        Path images = dir.resolve("ckpt");
        try {
            fx.runtime.checkpoint(id, images, dir.resolve("ckpt-work"), true);
            assertTrue(Files.exists(images.resolve("inventory.img")), "criu image written");
        } catch (OciRuntimeException.CheckpointNotSupported e) {
            assertTrue(e.getMessage().contains("criu"), e.getMessage());
            assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
            assertTrue(e.getMessage().startsWith("checkpoint of " + id + " is not possible: "), e.getMessage());
        }
    }
}
