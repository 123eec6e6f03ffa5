package dev.hcsshim.shim.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.fixtures.BusyboxBundle;
import dev.hcsshim.fixtures.PrivateContainerd;
import dev.hcsshim.fixtures.PrivateContainerd.CtrResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A private containerd whose PATH finds dist/bin/containerd-shim-runhcs-v1, a busybox root
 * filesystem, and the ctr commands the end-to-end tests use. One per test class; shim sockets
 * go to a directory of its own so tests never meet the machine's other shims.
 */
final class ShimHarness implements AutoCloseable {
    static final String RUNTIME = "io.containerd.runhcs.v1";
    static final Duration CTR_TIMEOUT = Duration.ofSeconds(90);

    final Path work;
    final Path socketDir;
    final Path rootfs;
    final PrivateContainerd containerd;

    private ShimHarness(Path work, Path socketDir, Path rootfs, PrivateContainerd containerd) {
        this.work = work;
        this.socketDir = socketDir;
        this.rootfs = rootfs;
        this.containerd = containerd;
    }

    static ShimHarness start(String namespace) throws IOException {
        return start(namespace, "", Map.of());
    }

    /**
     * With more {@code -D} options for the shims ({@code HCSSHIM_EXTRA_JVM_OPTS}, which the native
     * executable reads too) and more environment for containerd and so its shims.
     */
    static ShimHarness start(String namespace, String shimOptions, Map<String, String> env) throws IOException {
        return start(namespace, shimOptions, env, b -> b);
    }

    /**
     * With containerd's CRI plugin on (namespace {@code k8s.io}, handlers {@code runhcs} and
     * {@code runc}: {@link PrivateContainerd.Builder#cri}); import {@code sandboxImage} before
     * running a pod.
     */
    static ShimHarness startCri(String sandboxImage) throws IOException {
        return start(PrivateContainerd.CRI_NAMESPACE, "", Map.of(), b -> b.cri(sandboxImage));
    }

    /** The distribution under test: {@code -Dhcsshim.dist}, else ../dist. */
    static Path dist() {
        return Path.of(System.getProperty("hcsshim.dist", "../dist")).toAbsolutePath().normalize();
    }

    private static ShimHarness start(String namespace, String shimOptions, Map<String, String> env,
            UnaryOperator<PrivateContainerd.Builder> more) throws IOException {
        Path dist = dist();
        if (!Files.isExecutable(dist.resolve("bin/containerd-shim-runhcs-v1"))) {
            throw new IllegalStateException("no shim in " + dist + "/bin: run `mvn package` (scripts/test.sh does)");
        }
        removeStaleRuncState(namespace);
        Path work = Files.createTempDirectory(Path.of("/tmp"), "rh-");
        Path socketDir = work.resolve("s");
        Path rootfs = work.resolve("rootfs");
        BusyboxBundle.buildRootfs(rootfs);
        PrivateContainerd.Builder builder = PrivateContainerd.builder(work.resolve("cd"))
                .shimDir(dist.resolve("bin"))
                .namespace(namespace)
                .debug(true)
                .env("HCSSHIM_EXTRA_JVM_OPTS", ("-Dhcsshim.socket.dir=" + socketDir + " " + shimOptions).trim());
        env.forEach(builder::env);
        PrivateContainerd containerd = more.apply(builder).start();
        return new ShimHarness(work, socketDir, rootfs, containerd);
    }

    /** Containers an earlier, interrupted run of the same class left in runc's state for the namespace. */
    private static void removeStaleRuncState(String namespace) throws IOException {
        Path root = Path.of("/run/containerd/runhcs-runc", namespace);
        if (!Files.isDirectory(root)) {
            return;
        }
        try (Stream<Path> ids = Files.list(root)) {
            for (Path id : ids.toList()) {
                try {
                    new ProcessBuilder("runc", "--root", root.toString(), "delete", "--force", id.getFileName().toString())
                            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                            .start().waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    CtrResult ctr(String... args) {
        return containerd.ctr(CTR_TIMEOUT, args);
    }

    /** {@code ctr run --rm} through our runtime; the command gets PATH=/bin (ctr --rootfs sets none). */
    CtrResult run(String id, String... command) {
        return ctr(runArgs(List.of("--rm"), id, command));
    }

    /** {@code ctr run -d}: returns once the task was started. */
    CtrResult runDetached(String id, String... command) {
        return ctr(runArgs(List.of("-d"), id, command));
    }

    String[] runArgs(List<String> flags, String id, String... command) {
        List<String> args = new ArrayList<>(List.of("run"));
        args.addAll(flags);
        args.addAll(List.of("--runtime", RUNTIME, "--env", "PATH=/bin", "--rootfs", rootfs.toString(), id));
        args.addAll(List.of(command));
        return args.toArray(String[]::new);
    }

    /** The task's status column in {@code ctr task ls} (RUNNING, STOPPED, PAUSED...), if listed. */
    Optional<String> taskStatus(String id) {
        CtrResult ls = ctr("task", "ls").requireOk();
        return ls.stdout().lines().skip(1)
                .map(l -> l.trim().split("\\s+"))
                .filter(f -> f.length >= 3 && f[0].equals(id))
                .map(f -> f[2])
                .findFirst();
    }

    /** The pid of the task's init process as containerd reports it. */
    int taskPid(String id) {
        CtrResult ls = ctr("task", "ls").requireOk();
        return ls.stdout().lines().skip(1)
                .map(l -> l.trim().split("\\s+"))
                .filter(f -> f.length >= 3 && f[0].equals(id))
                .map(f -> Integer.parseInt(f[1]))
                .findFirst().orElseThrow(() -> new AssertionError("task " + id + " not listed:\n" + ls.stdout()));
    }

    void awaitStatus(String id, String status) {
        await("task " + id + " to be " + status, Duration.ofSeconds(60),
                () -> taskStatus(id).map(status::equals).orElse(false));
    }

    /** Kills (SIGKILL) and deletes the task and its container, whatever state they are in. */
    void remove(String id) {
        if (taskStatus(id).isPresent()) {
            ctr("task", "kill", "-s", "9", id);
            await("task " + id + " to stop", Duration.ofSeconds(60),
                    () -> taskStatus(id).map("STOPPED"::equals).orElse(true));
            ctr("task", "delete", id);
        }
        ctr("container", "delete", id);
    }

    /** Daemons started for this harness that are still alive (zombies do not count), JVM or native. */
    List<ProcessHandle> liveShims() {
        return containerd.shimProcesses().stream()
                .filter(h -> h.info().commandLine().map(c -> c.endsWith(" serve")).orElse(false))
                .toList();
    }

    /** Every shim socket left in the socket directory has a daemon behind it (lock and lease files are no sockets). */
    boolean onlyLiveSockets() {
        try (Stream<Path> files = Files.list(socketDir)) {
            return files.filter(p -> !p.getFileName().toString().startsWith("pty"))
                    .filter(ShimHarness::isSocket)
                    .allMatch(dev.hcsshim.transport.UnixSockets::isLive);
        } catch (IOException e) {
            return false;
        }
    }

    static boolean isSocket(Path p) {
        try {
            return Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS).isOther();
        } catch (IOException e) {
            return false; // gone meanwhile
        }
    }

    /** Waits, bounded, for a condition; polls, never sleeps a fixed time before checking. */
    static void await(String what, Duration bound, BooleanSupplier condition) {
        long deadline = System.nanoTime() + bound.toNanos();
        long pause = 20;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + bound + " waiting for " + what);
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
            pause = Math.min(pause * 2, 250);
        }
    }

    /** Mount points under {@code dir} in this mount namespace. */
    static List<String> mountsUnder(Path dir) throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
            return lines.map(l -> l.split(" ")[4]).filter(m -> m.startsWith(dir.toString())).toList();
        }
    }

    @Override
    public void close() throws IOException {
        try {
            CtrResult tasks = containerd.ctr(CTR_TIMEOUT, "task", "ls", "-q");
            tasks.stdout().lines().filter(l -> !l.isBlank()).forEach(this::remove);
            CtrResult containers = containerd.ctr(CTR_TIMEOUT, "container", "ls", "-q");
            containers.stdout().lines().filter(l -> !l.isBlank()).forEach(id -> ctr("container", "delete", id));
            await("shim daemons to exit", Duration.ofSeconds(30), () -> liveShims().isEmpty());
        } finally {
            containerd.close();
            assertTrue(mountsUnder(work).isEmpty(), "mounts left under " + work);
            deleteTree(work);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
