package dev.hcsshim.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.process.ExitStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Programs started with posix_spawn: what they inherit, and how their exits are observed. */
class LinuxSpawnTest {
    @TempDir
    Path tmp;

    /** Runs {@code sh -c script} with stdout into a file, waits for it, returns what it printed. */
    private String output(String script, Path dir, boolean newSession) throws IOException {
        return output(script, dir, newSession, true);
    }

    /**
     * The same, closing the parent's descriptors in one action ({@code closefrom}) or one by one,
     * passing the {@code inherited} ones.
     */
    private String output(String script, Path dir, boolean newSession, boolean closefrom, int... inherited) throws IOException {
        Path out = tmp.resolve("out-" + System.nanoTime());
        Files.createFile(out);
        int fd = Fds.open(out.toString(), LibC.O_WRONLY);
        int pid;
        try {
            pid = Spawn.start(List.of("/bin/sh", "-c", script), dir, -1, fd, -1, newSession, closefrom, inherited);
        } finally {
            Fds.closeQuietly(fd);
        }
        ExitStatus status = Spawn.waitFor(pid, 10_000);
        assertNotNull(status, "sh did not exit");
        assertEquals(0, status.status(), "sh: " + script);
        return Files.readString(out).trim();
    }

    @Test
    void childHasOnlyItsStdioWhateverTheParentHasOpen() throws IOException {
        // no close-on-exec flag: only closing everything from 3 up keeps it out of the child,
        // in one action (glibc 2.34+) or one per open descriptor (older glibc)
        int inheritable = LibC.INSTANCE.open("/dev/null", LibC.O_RDONLY, 0);
        try {
            for (boolean closefrom : new boolean[] {true, false}) {
                String fds = output("for fd in 0 1 2 " + inheritable + "; do [ -e /proc/$$/fd/$fd ] && echo $fd; done; true",
                        null, false, closefrom);
                assertEquals(List.of("0", "1", "2"), fds.lines().toList(),
                        "fd " + inheritable + " is open in the parent (closefrom " + closefrom + ")");
            }
        } finally {
            Fds.closeQuietly(inheritable);
        }
    }

    @Test
    void inheritedDescriptorsArriveAsThreeAndUpAndNothingElseDoes() throws IOException {
        try (MemoryFile a = MemoryFile.of("a", "first".getBytes());
             MemoryFile b = MemoryFile.of("b", "second".getBytes())) {
            for (boolean closefrom : new boolean[] {true, false}) {
                String out = output("cat /proc/self/fd/3; echo; cat /proc/self/fd/4; echo; "
                        + "for fd in 5 6 " + a.fd() + " " + b.fd() + "; do [ -e /proc/$$/fd/$fd ] && echo open $fd; done; true",
                        null, false, closefrom, b.fd(), a.fd());
                assertEquals(List.of("second", "first"), out.lines().toList(), "closefrom " + closefrom);
            }
            // so many that the targets cover both sources' own numbers, b passed last: the dup2
            // onto b's number in the child would overwrite b before it is passed, unless b is
            // passed from a copy
            int count = Math.max(a.fd(), b.fd()) - 1;
            int[] inherited = new int[count];
            java.util.Arrays.fill(inherited, a.fd());
            int last = 3 + count - 1;
            inherited[count - 1] = b.fd();
            String out = output("cat /proc/self/fd/3; echo; cat /proc/self/fd/" + b.fd() + "; echo; cat /proc/self/fd/" + last
                    + "; echo; [ -e /proc/$$/fd/" + (last + 1) + " ] && echo open " + (last + 1) + "; true", null, false, true, inherited);
            assertEquals(List.of("first", "first", "second"), out.lines().toList(), count + " inherited");
        }
    }

    @Test
    void childGetsItsArgumentsVerbatimAndThisProcesssEnvironment() throws IOException {
        Path out = tmp.resolve("args");
        Files.createFile(out);
        int fd = Fds.open(out.toString(), LibC.O_WRONLY);
        int pid;
        try {
            // one argument per line between brackets: spaces, an empty one and UTF-8 stay as given
            pid = Spawn.start(List.of("/bin/sh", "-c", "printf '[%s]\\n' \"$@\"; printf '%s\\n' \"$PATH\"", "sh",
                    "two words", "", "d\u00e9j\u00e0 vu"), null, -1, fd, -1, false);
        } finally {
            Fds.closeQuietly(fd);
        }
        assertEquals(0, Spawn.waitFor(pid, 10_000).status());
        assertEquals(List.of("[two words]", "[]", "[d\u00e9j\u00e0 vu]", System.getenv("PATH")),
                Files.readString(out, java.nio.charset.StandardCharsets.UTF_8).lines().toList());
    }

    @Test
    void childStartsWithDefaultSignalsAndNoneBlocked() throws IOException {
        // the child itself (exec): a shell blocks signals around its own forks
        String status = output("exec grep -E '^Sig(Blk|Ign):' /proc/self/status", null, false);
        long blocked = Long.parseUnsignedLong(status.lines().toList().get(0).split("\t")[1], 16);
        long ignored = Long.parseUnsignedLong(status.lines().toList().get(1).split("\t")[1], 16);
        assertEquals(0, blocked, status);
        // 1-31: glibc's own real-time signals (32, 33) are not the spawner's to reset
        assertEquals(0, ignored & 0x7fffffffL, status);
    }

    @Test
    void childRunsInTheGivenDirectoryAndSessionAndReadsItsStdin() throws IOException {
        assertEquals(tmp.toRealPath().toString(), output("pwd -P", tmp, false));
        String[] pidAndSession = output("set -- $(cat /proc/$$/stat); echo $1 $6", null, true).split(" ");
        assertEquals(pidAndSession[0], pidAndSession[1], "a session of its own");

        Path in = tmp.resolve("in");
        Files.writeString(in, "from the file\n");
        Path out = tmp.resolve("copied");
        Files.createFile(out);
        int inFd = Fds.open(in.toString(), LibC.O_RDONLY);
        int outFd = Fds.open(out.toString(), LibC.O_WRONLY);
        int pid = Spawn.start(List.of("/bin/cat"), null, inFd, outFd, -1, false);
        Fds.closeQuietly(inFd);
        Fds.closeQuietly(outFd);
        assertEquals(0, Spawn.waitFor(pid, 10_000).status());
        assertEquals("from the file\n", Files.readString(out));
    }

    @Test
    void exitCodesSignalsAndTimeoutsAreReported() throws Exception {
        assertEquals(7, Spawn.waitFor(Spawn.start(List.of("/bin/sh", "-c", "exit 7"), null, -1, -1, -1, false), 10_000).status());

        int sleeper = Spawn.start(List.of("/bin/sleep", "30"), null, -1, -1, -1, false);
        assertNull(Spawn.waitFor(sleeper, 100), "still running after the timeout");
        LibC.INSTANCE.kill(sleeper, 9);
        ExitStatus killed = Spawn.waitFor(sleeper, 10_000);
        assertEquals(9, killed.signal());
        assertEquals(0, LinuxTestSupport.procState(sleeper), "reaped");

        // through the exit watcher, as the OCI runtime calls are observed in the daemon
        ExitWatcher watcher = ExitWatcher.shared();
        try (ExitWatcher.Guard g = watcher.guard()) {
            int pid = Spawn.start(List.of("/bin/sh", "-c", "exit 3"), null, -1, -1, -1, false);
            assertEquals(3, watcher.watch(pid).get(10, TimeUnit.SECONDS).status());
        }
    }

    @Test
    void aMissingProgramIsAnErrorNotAChild() {
        IOException e = assertThrows(IOException.class,
                () -> Spawn.start(List.of("/no/such/program"), null, -1, -1, -1, false));
        assertTrue(e.getMessage().contains("ENOENT"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Spawn.start(List.of("sh"), null, -1, -1, -1, false));
    }
}
