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
 * Where a runtime call's files go (the container's call directory, removed with the container),
 * the state root that goes with its last container, and the kinds of failures that are not runc's
 * message: a missing runtime, a hung one, one that reports success without a pid.
 */
@EnabledIf("dev.hcsshim.linux.LinuxTestSupport#canRunRunc")
class OciRuntimeFilesTest {
    @TempDir
    Path dir;

    @AfterAll
    static void removeCgroupParent() {
        LinuxTestSupport.removeCgroupParent(RuncFixture.CGROUP_PARENT);
    }

    /** A runtime that records each call's arguments, one call per line, then runs runc. */
    private Path recordingRunc(Path record) throws Exception {
        return script("recording-runc", "echo \"$*\" >> " + record + "\nexec runc \"$@\"\n");
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
    private static List<Path> logFiles(Path record) throws Exception {
        return Files.readAllLines(record).stream().map(line -> {
            String[] a = line.split(" ");
            for (int i = 0; i + 1 < a.length; i++) if (a[i].equals("--log")) return Path.of(a[i + 1]);
            throw new AssertionError("no --log in " + line);
        }).toList();
    }

    @Test
    void callFilesLiveInTheContainersCallDirectoryAndGoWithIt() throws Exception {
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

        List<Path> logs = logFiles(record);
        assertEquals(6, logs.size(), Files.readString(record));
        for (Path log : logs) assertEquals(callDir, log.getParent(), "where runc logged");
        String calls = Files.readString(record);
        assertTrue(calls.contains("--process " + callDir + "/exec-"), "the exec's process spec: " + calls);
        assertTrue(calls.contains("--pid-file " + callDir + "/exec-"), "the exec's pid file: " + calls);
        assertFalse(Files.exists(callDir), "the call directory goes with the container");
        assertFalse(Files.exists(root), "and the state root with its last container");
    }

    @Test
    void everyCallGetsFilesOfItsOwnThatOnlyTheDaemonsUserCanRead() throws Exception {
        Path record = dir.resolve("modes.txt");
        // records each --log file's mode as runc is called with it, then runs runc
        Path runc = script("mode-recording-runc", "prev=\nfor a in \"$@\"; do\n"
                + "  [ \"$prev\" = --log ] && echo \"$a $(stat -c %a \"$a\")\" >> " + record + "\n  prev=$a\ndone\n"
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
        for (String[] call : calls) assertEquals("600", call[1], "mode of " + call[0]);
        assertEquals(calls.size(), calls.stream().map(c -> c[0]).distinct().count(), "a log file per call: " + Files.readString(record));
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
    void filesOfACallCutShortAreLeftInTheCallDirectoryForTheCleanup() throws Exception {
        // a runtime stuck in kill: the daemon dies there (here: gives up), its files stay in the call directory
        Path started = dir.resolve("kill-started");
        Path runtime = script("stuck-runc", """
                case " $* " in *" kill "*) touch %s; exec sleep 60;; esac
                exec runc "$@"
                """.formatted(started));
        Path root = dir.resolve("state/ns");
        OciRuntime rt = new OciRuntime(runtime.toString(), root, false, ExitWatcher.shared());
        String id = LinuxTestSupport.newId();
        BusyboxBundle b = bundle(id, "sleep", "100");
        Path callDir = b.dir().resolve(OciRuntime.CALL_DIR);
        OciRuntime.Started init = rt.create(id, b.dir(), OciRuntime.Stdio.NULL, null);
        CompletableFuture<Void> kill = CompletableFuture.runAsync(() -> {
            try {
                rt.kill(id, 15, false);
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        LinuxTestSupport.await("the runtime's kill to start", Duration.ofSeconds(30), () -> Files.exists(started));
        try (var files = Files.list(callDir)) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().startsWith("log-")), "the call's log is in " + callDir);
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
        kill.handle((v, t) -> null).get(30, TimeUnit.SECONDS);
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
