package dev.hcsshim.shim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.linux.PageByPage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * What the native executable promises beyond the protocol: operators see a shim (its
 * {@code /proc/PID/exe} and {@code comm}), and it loads its native libraries from the distribution
 * instead of unpacking them on every start. The shims' temp and cache directories point into a
 * directory of this test, so whatever they would unpack is seen here and nowhere else.
 * Skipped for the JVM distribution.
 */
@EnabledIf("distIsNative")
class NativeExecutableIT {
    static final Path DIST = Path.of(System.getProperty("hcsshim.dist", "../dist")).toAbsolutePath().normalize();
    static final Path SHIM = DIST.resolve("bin/containerd-shim-runhcs-v1");

    static ShimHarness h;
    static Path scratch;

    static boolean distIsNative() throws IOException {
        byte[] head = new byte[4];
        try (var in = Files.newInputStream(SHIM)) {
            return in.readNBytes(head, 0, 4) == 4 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F';
        }
    }

    @BeforeAll
    static void up() throws IOException {
        scratch = Files.createTempDirectory(Path.of("/tmp"), "rh-native-");
        Files.createDirectories(scratch.resolve("tmp"));
        Files.createDirectories(scratch.resolve("cache"));
        h = ShimHarness.start("native-it", "-Djava.io.tmpdir=" + scratch.resolve("tmp"),
                Map.of("XDG_CACHE_HOME", scratch.resolve("cache").toString(), "HOME", scratch.toString()));
    }

    @AfterAll
    static void down() throws IOException {
        try {
            if (h != null) {
                h.close();
            }
        } finally {
            try (Stream<Path> walk = Files.walk(scratch)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static ProcessHandle daemonOf(String id) {
        List<ProcessHandle> daemons = h.liveShims().stream()
                .filter(p -> p.info().commandLine().orElse("").contains(" -id " + id + " ")).toList();
        assertEquals(1, daemons.size(), () -> "daemons for " + id + ": " + daemons);
        return daemons.getFirst();
    }

    @Test
    void theDaemonIsTheShimExecutableAndShowsAsAShim() throws Exception {
        h.runDetached("named", "/bin/sleep", "1000").requireOk();
        long pid = daemonOf("named").pid();
        assertEquals(SHIM.toRealPath(), Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe")));
        // comm is cut to 15 characters, as for every containerd shim.
        assertEquals("containerd-shim", Files.readString(Path.of("/proc/" + pid + "/comm")).strip());
        h.remove("named");
    }

    @Test
    void theDaemonServesOnTheSocketItsStartBoundAndHandedOver() throws Exception {
        h.runDetached("handoff", "/bin/sleep", "1000").requireOk();
        long pid = daemonOf("handoff").pid();
        String address = Files.readString(h.containerd.workDir().resolve("state/io.containerd.runtime.v2.task/native-it/handoff/address"));
        String socket = address.substring("unix://".length());
        // /proc/net/unix: Num RefCount Protocol Flags Type St Inode Path; flag 00010000 = listening
        List<String> listening;
        try (Stream<String> lines = Files.lines(Path.of("/proc/net/unix"))) {
            listening = lines.map(l -> l.trim().split("\\s+")).filter(f -> f.length == 8 && f[7].equals(socket))
                    .filter(f -> (Integer.parseInt(f[3], 16) & 0x10000) != 0).map(f -> f[6]).toList();
        }
        assertEquals(1, listening.size(), () -> "sockets listening at " + socket + ": " + listening);
        // start bound it and passed it as descriptor 3; the daemon never bound a socket of its own there
        assertEquals("socket:[" + listening.getFirst() + "]", Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/3")).toString());
        assertEquals(0, h.ctr("task", "exec", "--exec-id", "through-it", "handoff", "/bin/true").exitCode());
        h.remove("handoff");
        ShimHarness.await("the daemon to exit and remove its socket", Duration.ofSeconds(30),
                () -> !Files.exists(Path.of(socket)) && ProcessHandle.of(pid).isEmpty());
    }

    @Test
    void nativeLibrariesComeFromTheDistributionAndNothingIsUnpacked() throws Exception {
        h.runDetached("libs", "/bin/sleep", "1000").requireOk();
        long pid = daemonOf("libs").pid();
        List<String> mapped;
        try (Stream<String> maps = Files.lines(Path.of("/proc/" + pid + "/maps"))) {
            mapped = maps.map(l -> l.split("\\s+", 6)).filter(f -> f.length == 6 && f[5].contains(".so"))
                    .map(f -> f[5]).distinct().toList();
        }
        Path lib = DIST.resolve("lib").toRealPath();
        assertTrue(mapped.contains(lib.resolve("libjnidispatch.so").toString()), "JNA from dist/lib: " + mapped);
        assertTrue(mapped.stream().anyMatch(m -> m.startsWith(lib + "/libnetty_transport_native_epoll")), "Netty epoll from dist/lib: " + mapped);
        // (dist/ itself may live under /tmp, as in a CI checkout there)
        assertTrue(mapped.stream().noneMatch(m -> m.contains("(deleted)") || (m.startsWith("/tmp/") && !m.startsWith(lib + "/"))),
                "unpacked libraries: " + mapped);

        // A whole start, serve and delete cycle unpacks no library where JNA and Netty would.
        h.run("short", "/bin/true").requireOk();
        h.remove("libs");
        try (Stream<Path> left = Files.walk(scratch)) {
            assertEquals(List.of(), left.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().matches("(?i).*(jna|netty|\\.so).*")).toList());
        }
    }

    @Test
    void theDaemonLogsThroughTheProviderItNames() throws Exception {
        h.run("logs", "/bin/true").requireOk();
        // Its lines reach containerd's log in LogSetup's format. Had SLF4J failed to make the
        // provider the daemon names (its constructor not registered for reflection, say), it
        // would say so there, then fall back to looking providers up.
        ShimHarness.await("the daemon's serving line in containerd's log", Duration.ofSeconds(10),
                () -> h.containerd.log().lines().anyMatch(l -> l.contains("[runhcs]") && l.contains("serving io.containerd.runhcs.v1")));
        assertFalse(h.containerd.log().contains("SLF4J"), "SLF4J reported a problem: " + h.containerd.log().lines()
                .filter(l -> l.contains("SLF4J")).toList());
    }

    @Test
    void nettyRunsAsTheDaemonAsksIt() throws Exception {
        h.run("netty", "/bin/true").requireOk();
        // Most of Netty is initialised when the image is built, with the builder's properties:
        // without Unsafe (a missing registration, say) Netty falls back quietly to method handles
        // and zeroed buffers, and a pooling allocator costs every daemon its first chunk. The
        // daemon says so before its serving line (NettyDefaults.deviations).
        ShimHarness.await("the daemon's serving line in containerd's log", Duration.ofSeconds(10),
                () -> h.containerd.log().lines().anyMatch(l -> l.contains("[runhcs]") && l.contains("serving io.containerd.runhcs.v1")));
        List<String> deviations = h.containerd.log().lines()
                .filter(l -> l.contains("Netty runs without") || l.contains("Netty allocates with")).toList();
        assertEquals(List.of(), deviations);
    }

    @Test
    void aSettledDaemonMapsItsExecutablePageByPageAndHasGivenItsFreeHeapBack() throws Exception {
        Optional<PageByPage> supported = PageByPage.open();
        assertTrue(supported.isPresent(), "needs Linux 6.7+ with userfaultfd (CONFIG_USERFAULTFD, asynchronous write protection) and a seccomp "
                + "profile that allows it: the daemon maps its executable page by page with it");
        supported.get().close();
        h.runDetached("pages", "/bin/sleep", "1000").requireOk();
        long pid = daemonOf("pages").pid();
        // smaps' VmFlags "uw": registered for userfaultfd write protection, where Linux maps no
        // neighbours on a fault. Every mapping of the executable, code and image heap alike, once
        // the daemon has settled (a moment after it serves).
        String exe = SHIM.toRealPath().toString();
        ShimHarness.await("every mapping of the executable registered", Duration.ofSeconds(30), () -> {
            List<String> flags = vmFlagsOfMappings(pid, exe);
            return flags.size() >= 3 && flags.stream().allMatch(f -> List.of(f.split(" ")).contains("uw"));
        });
        // Just before, it gave its heap's free chunks back through the image's MaxHeapFree
        // option (NativeImage.collectReleasingFreeChunks), or said why not.
        assertEquals(List.of(), h.containerd.log().lines().filter(l -> l.contains("the heap keeps its free chunks")).toList());
        h.remove("pages");
    }

    /** The VmFlags of each of process {@code pid}'s mappings of {@code file}. */
    private static List<String> vmFlagsOfMappings(long pid, String file) {
        List<String> flags = new ArrayList<>();
        boolean inFile = false;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps"))) {
                if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                    inFile = line.endsWith(" " + file);
                } else if (inFile && line.startsWith("VmFlags:")) {
                    flags.add(line.substring("VmFlags:".length()).trim());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return flags;
    }
}
