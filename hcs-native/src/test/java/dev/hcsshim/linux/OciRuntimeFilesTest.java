package dev.hcsshim.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.errdefs.ErrorKind;
import dev.hcsshim.fixtures.BusyboxBundle;
import dev.hcsshim.ttrpc.StatusMapper;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a runtime call passes and gets back (descriptors of files in memory, an exec's pid file in
 * the container's call directory, removed with the container), the state root that goes with its
 * last container, and the kinds of failures that are not runc's message: a missing runtime, a hung
 * one, one that reports success without a pid.
 */
@EnabledIf("dev.hcsshim.linux.LinuxTestSupport#canRunRunc")
class OciRuntimeFilesTest {
    @TempDir
    Path dir;

    @AfterAll
    static void removeCgroupParent() {
        LinuxTestSupport.removeCgroupParent(RuncFixture.CGROUP_PARENT);
    }

    /**
     * A runtime that records each call's arguments, one call per line, and its descriptor 3 and 4
     * (what /proc/self/fd/N links to, or "-"), then runs runc; an exec's process spec as it reads it
     * goes to {@code <record>.process}.
     */
    private Path recordingRunc(Path record) throws Exception {
        return script("recording-runc", """
                echo "$* | $(readlink /proc/self/fd/3 || echo -) | $(readlink /proc/self/fd/4 || echo -)" >> %s
                case " $* " in *" exec "*) cat /proc/self/fd/4 > %s.process;; esac
                exec runc "$@"
                """.formatted(record, record));
    }

    private Path script(String name, String body) throws Exception {
        Path s = dir.resolve(name);
        Files.writeString(s, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(s, PosixFilePermissions.fromString("rwx------"));
        return s;
    }

    private BusyboxBundle bundle(String id, String... args) throws Exception {
        return BusyboxBundle.builder(dir.resolve("bundles").resolve(id)).args(args)
                .cgroupsPath("/" + RuncFixture.CGROUP_PARENT + "/" + id).build();
    }

    /** The value after each --log in the recorded calls. */
    private static List<String> logPaths(Path record) throws Exception {
        return Files.readAllLines(record).stream().map(line -> {
            String[] a = line.split(" ");
            for (int i = 0; i + 1 < a.length; i++) if (a[i].equals("--log")) return a[i + 1];
            throw new AssertionError("no --log in " + line);
        }).toList();
    }

    @Test
    void aCallsLogAndProcessSpecAreFilesInMemoryAndAnExecsPidFileGoesWithTheContainer() throws Exception {
        Path record = dir.resolve("calls.txt");
        Path root = dir.resolve("state/ns");
        OciRuntime rt = new OciRuntime(recordingRunc(record).toString(), root, false, ExitWatcher.shared());
        String id = LinuxTestSupport.newId();
        BusyboxBundle b = bundle(id, "sleep", "100");
        Path callDir = b.dir().resolve(OciRuntime.CALL_DIR);

        OciRuntime.Started init = rt.create(id, b.dir(), OciRuntime.Stdio.NULL, null);
        rt.start(id);
        OciRuntime.Started exec = rt.exec(id, b.processSpec(false, "true"), OciRuntime.Stdio.NULL, null);
        assertEquals(0, exec.exit().get(30, TimeUnit.SECONDS).status());
        assertEquals("running", rt.state(id).status());
        assertThrows(OciRuntimeException.class, () -> rt.resume(id)); // a failing call cleans up too
        assertTrue(Files.isDirectory(callDir));
        try (var left = Files.list(callDir)) {
            assertEquals(List.of(), left.toList(), "a finished call leaves nothing");
        }
        rt.delete(id, true);
        init.exit().get(30, TimeUnit.SECONDS);

        String calls = Files.readString(record);
        List<String> logs = logPaths(record);
        assertEquals(6, logs.size(), calls);
        for (String log : logs) assertEquals("/proc/self/fd/3", log, "where runc logged: " + calls);
        for (String call : Files.readAllLines(record)) {
            assertTrue(call.contains("| /memfd:runtime-log (deleted) |"), "the log is a file in memory: " + call);
        }
        assertTrue(calls.contains("--process /proc/self/fd/4 "), "the exec's process spec: " + calls);
        assertTrue(calls.contains("| /memfd:runtime-process (deleted)\n"), "is a file in memory: " + calls);
        assertEquals(b.processSpec(false, "true"), Files.readString(Path.of(record + ".process")), "and runc reads the spec whole");
        assertTrue(calls.contains("--pid-file " + callDir + "/exec-"), "the exec's pid file: " + calls);
        assertFalse(Files.exists(callDir), "the call directory goes with the container");
        assertFalse(Files.exists(root), "and the state root with its last container");
    }

    @Test
    void everyCallGetsALogOfItsOwnOnNoFileSystem() throws Exception {
        Path record = dir.resolve("logs.txt");
        // records each --log's inode and link count as runc is called with it, then runs runc
        Path runc = script("log-recording-runc", "prev=\nfor a in \"$@\"; do\n"
                + "  [ \"$prev\" = --log ] && echo \"$(stat -L -c '%i %h' \"$a\")\" >> " + record + "\n  prev=$a\ndone\n"
                + "exec runc \"$@\"\n");
        OciRuntime rt = new OciRuntime(runc.toString(), dir.resolve("state/modes"), false, ExitWatcher.shared());
        String id = LinuxTestSupport.newId();
        BusyboxBundle b = bundle(id, "sleep", "100");
        OciRuntime.Started init = rt.create(id, b.dir(), OciRuntime.Stdio.NULL, null);
        rt.start(id);
        for (int i = 0; i < 2; i++) {
            assertEquals(0, rt.exec(id, b.processSpec(false, "true"), OciRuntime.Stdio.NULL, null).exit().get(30, TimeUnit.SECONDS).status());
        }
        rt.delete(id, true);
        init.exit().get(30, TimeUnit.SECONDS);

        List<String[]> calls = Files.readAllLines(record).stream().map(l -> l.split(" ")).toList();
        assertEquals(5, calls.size(), Files.readString(record));
        // no name in any directory: only a descriptor reaches it (or /proc/<pid>/fd, with ptrace rights over its holder)
        for (String[] call : calls) assertEquals("0", call[1], "links of log " + call[0]);
        assertEquals(calls.size(), calls.stream().map(c -> c[0]).distinct().count(), "a log per call: " + Files.readString(record));
    }

    @Test
    void theStateRootStaysWhileItHoldsAContainerAndComesBackForTheNext() throws Exception {
        Path root = dir.resolve("state/ns");
        OciRuntime rt = new OciRuntime("runc", root, false, ExitWatcher.shared());
        String a = LinuxTestSupport.newId();
        String b = LinuxTestSupport.newId();
        OciRuntime.Started ia = rt.create(a, bundle(a, "sleep", "100").dir(), OciRuntime.Stdio.NULL, null);
        OciRuntime.Started ib = rt.create(b, bundle(b, "sleep", "100").dir(), OciRuntime.Stdio.NULL, null);
        rt.delete(a, true);
        assertTrue(Files.isDirectory(root.resolve(b)), "the other container is untouched");
        OciRuntimeException gone = assertThrows(OciRuntimeException.class, () -> rt.delete(a, false));
        assertEquals(ErrorKind.NOT_FOUND, gone.kind(), gone.getMessage());
        assertTrue(Files.isDirectory(root), "still holds " + b);
        rt.delete(b, true);
        assertFalse(Files.exists(root));
        String c = LinuxTestSupport.newId();
        OciRuntime.Started ic = rt.create(c, bundle(c, "sleep", "100").dir(), OciRuntime.Stdio.NULL, null);
        assertTrue(Files.isDirectory(root.resolve(c)));
        rt.delete(c, true);
        assertFalse(Files.exists(root));
        for (OciRuntime.Started s : List.of(ia, ib, ic)) s.exit().get(30, TimeUnit.SECONDS);
    }

    @Test
    void aCreateUnderWayKeepsAnEmptyRootFromBeingRemoved() throws Exception {
        Path root = dir.resolve("state/ns");
        StateRoot creating = new StateRoot(root);
        StateRoot deleting = new StateRoot(root);
        try (StateRoot.Hold h = creating.holdForCreate()) {
            assertTrue(Files.isDirectory(root));
            deleting.removeIfEmpty();
            assertTrue(Files.isDirectory(root), "removal gives way to the create");
        }
        deleting.removeIfEmpty();
        assertFalse(Files.exists(root));
        // a create that waited while the root was removed makes it again
        try (StateRoot.Hold h = creating.holdForCreate()) {
            assertTrue(Files.isDirectory(root));
        }
        deleting.removeIfEmpty();
        deleting.removeIfEmpty(); // already gone: fine
        assertFalse(Files.exists(root));
    }

    @Test
    void thePidFileOfAnExecCutShortIsLeftInTheCallDirectoryForTheCleanup() throws Exception {
        // a runtime stuck in exec once it wrote the pid file: the daemon dies there (here: gives up)
        Path started = dir.resolve("exec-started");
        Path runtime = script("stuck-runc", """
                case " $* " in *" exec "*)
                  prev=; for a in "$@"; do [ "$prev" = --pid-file ] && echo 1 > "$a"; prev=$a; done
                  touch %s; exec sleep 60;;
                esac
                exec runc "$@"
                """.formatted(started));
        Path root = dir.resolve("state/ns");
        OciRuntime rt = new OciRuntime(runtime.toString(), root, false, ExitWatcher.shared());
        String id = LinuxTestSupport.newId();
        BusyboxBundle b = bundle(id, "sleep", "100");
        Path callDir = b.dir().resolve(OciRuntime.CALL_DIR);
        OciRuntime.Started init = rt.create(id, b.dir(), OciRuntime.Stdio.NULL, null);
        CompletableFuture<Void> exec = CompletableFuture.runAsync(() -> {
            try {
                rt.exec(id, b.processSpec(false, "true"), OciRuntime.Stdio.NULL, null);
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        LinuxTestSupport.await("the runtime's exec to start", Duration.ofSeconds(30), () -> Files.exists(started));
        try (var files = Files.list(callDir)) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().matches("exec-[0-9]+\\.pid")), "the pid file is in " + callDir);
        }
        // the cleanup (containerd's `delete` after a crash) is a new runtime that adopts the bundle
        OciRuntime cleanup = new OciRuntime("runc", root, false, null);
        cleanup.adopt(id, b.dir());
        cleanup.delete(id, true);
        assertFalse(Files.exists(callDir), "the cleanup removed what the cut-short call left");
        assertFalse(Files.exists(root));
        init.exit().get(30, TimeUnit.SECONDS);
        // end the stuck runtime (our own child) and with it the call
        ProcessHandle.current().descendants()
                .filter(p -> p.info().commandLine().orElse("").contains("sleep 60"))
                .forEach(ProcessHandle::destroy);
        exec.handle((v, t) -> null).get(30, TimeUnit.SECONDS);
    }

    @Test
    void aMissingRuntimeIsUnavailable() {
        OciRuntimeException e = assertThrows(OciRuntimeException.class,
                () -> new OciRuntime("no-such-oci-runtime", dir.resolve("root"), false, null));
        assertEquals(ErrorKind.UNAVAILABLE, e.kind());
        assertEquals(Status.Code.UNAVAILABLE, StatusMapper.toStatus(e).getCode());
    }

    @Test
    void aHungRuntimeIsDeadlineExceeded() throws Exception {
        OciRuntime rt = new OciRuntime(script("hung", "exec sleep 60\n").toString(), dir.resolve("root"), false, null);
        rt.setCommandTimeout(Duration.ofMillis(200));
        OciRuntimeException e = assertThrows(OciRuntimeException.class, () -> rt.state("x"));
        assertEquals(ErrorKind.DEADLINE_EXCEEDED, e.kind(), e.getMessage());
    }

    @Test
    void aRuntimeThatReportsSuccessWithoutAPidIsUnknownNotNotFound() throws Exception {
        // exits 0 for create without writing the pid file: our read of it fails, which is no "task not found"
        OciRuntime rt = new OciRuntime(script("silent", "exit 0\n").toString(), dir.resolve("root"), false, ExitWatcher.shared());
        String id = LinuxTestSupport.newId();
        OciRuntimeException e = assertThrows(OciRuntimeException.class,
                () -> rt.create(id, bundle(id, "true").dir(), OciRuntime.Stdio.NULL, null));
        assertEquals(ErrorKind.UNKNOWN, e.kind());
        Status s = StatusMapper.toStatus(e);
        assertEquals(Status.Code.UNKNOWN, s.getCode());
        assertTrue(s.getDescription().contains("succeeded but left no readable pid file at "), s.getDescription());
        assertFalse(s.getDescription().contains("Exception"), s.getDescription());
    }
}
