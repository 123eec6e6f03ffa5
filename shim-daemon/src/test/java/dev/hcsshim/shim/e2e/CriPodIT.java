package dev.hcsshim.shim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.fixtures.PrivateContainerd;
import dev.hcsshim.fixtures.cri.CriClient;
import dev.hcsshim.fixtures.cri.SleepImage;
import dev.hcsshim.fixtures.cri.v1.ContainerConfig;
import dev.hcsshim.fixtures.cri.v1.ContainerState;
import dev.hcsshim.fixtures.cri.v1.ContainerStatus;
import dev.hcsshim.fixtures.cri.v1.Mount;
import dev.hcsshim.fixtures.cri.v1.PodSandboxConfig;
import dev.hcsshim.fixtures.cri.v1.PodSandboxState;
import dev.hcsshim.fixtures.cri.v1.PodSandboxStatus;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Kubernetes pod through containerd's CRI plugin, as a kubelet drives it: RunPodSandbox with
 * the {@code runhcs} runtime handler, CreateContainer and StartContainer of a container that
 * writes a line to its CRI log and exits (once the test lets it), then StopPodSandbox and
 * RemovePodSandbox. The sandbox and its container share one daemon (pod scope, the default for
 * CRI's tasks); nothing of it is left afterwards. (CRI deletes a container's task as soon as it
 * exits, so the shared daemon is looked at while the container still runs.)
 */
class CriPodIT {
    static final Duration BOUND = Duration.ofSeconds(60);
    static final String LINE = "hello from a CRI pod";
    /** CRI's log format: RFC 3339 time, stream, F(ull) or P(artial) tag, the line. */
    static final Pattern LOG_LINE = Pattern.compile(
            "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?(Z|[+-]\\d\\d:\\d\\d) stdout F " + Pattern.quote(LINE));

    static ShimHarness h;
    static CriClient cri;

    @BeforeAll
    static void up() throws IOException {
        h = ShimHarness.startCri(SleepImage.REF);
        cri = CriClient.connect(h.containerd.address(), BOUND);
        SleepImage.importInto(h.containerd, cri, h.rootfs, h.work);
    }

    @AfterAll
    static void down() throws IOException {
        if (cri != null) {
            cri.close();
        }
        if (h != null) {
            h.close();
        }
    }

    @Test
    void aPodRunsInOneDaemonAndLeavesNothingBehind() throws Exception {
        Path logDir = h.work.resolve("pod-logs");
        PodSandboxConfig pod = CriClient.hostNetworkPod("cri-pod-it", UUID.randomUUID().toString(), logDir);

        String sandbox = cri.runPodSandbox(pod, PrivateContainerd.CRI_HANDLER_RUNHCS);
        PodSandboxStatus sandboxStatus = cri.podSandboxStatus(sandbox);
        assertEquals(PodSandboxState.SANDBOX_READY, sandboxStatus.getState());
        assertEquals(PrivateContainerd.CRI_HANDLER_RUNHCS, sandboxStatus.getRuntimeHandler());
        List<Long> daemons = daemonPids();
        assertEquals(1, daemons.size(), "one runhcs daemon for the sandbox: " + daemons);
        assertEquals(1, allShims().size(), "and no other shim: " + allShims());

        // The container writes its line, then waits for the test to open its gate (a host
        // directory mounted at /gate), so the daemon can be seen serving both tasks meanwhile.
        Path gate = Files.createDirectories(h.work.resolve("gate"));
        ContainerConfig writer = CriClient.container("writer", SleepImage.REF, "writer/0.log",
                        List.of("/bin/sh", "-c", "echo " + LINE + "; until [ -e /gate/open ]; do sleep 0.05; done"))
                .toBuilder()
                .addMounts(Mount.newBuilder().setContainerPath("/gate").setHostPath(gate.toString()).setReadonly(true))
                .build();
        String container = cri.createContainer(sandbox, writer, pod);
        cri.startContainer(container);
        assertEquals(ContainerState.CONTAINER_RUNNING, cri.containerStatus(container).getState());
        Path log = logDir.resolve("writer/0.log");
        ShimHarness.await("the container's line in its CRI log " + log, BOUND, () -> logLines(log).size() == 1);
        assertTrue(LOG_LINE.matcher(logLines(log).getFirst()).matches(), "CRI log format: " + logLines(log));

        // The container went to the sandbox's daemon: still that one process, serving both tasks.
        assertEquals(daemons, daemonPids(), "the container started no daemon of its own");
        assertEquals(1, allShims().size(), "and no other shim: " + allShims());
        List<String> listed = shimdiag("list").lines().toList();
        assertEquals(1, listed.size(), "one live shim: " + listed);
        String[] shim = listed.getFirst().split("\t");
        assertEquals(PrivateContainerd.CRI_NAMESPACE + "-" + sandbox, shim[0], "named after the sandbox: " + listed);
        assertEquals(Set.of(sandbox, container), Set.copyOf(Arrays.asList(shim[1].split(","))),
                "the daemon serves the sandbox and its container: " + listed);

        Files.createFile(gate.resolve("open"));
        ContainerStatus exited = cri.awaitContainerState(container, ContainerState.CONTAINER_EXITED, BOUND);
        assertEquals(0, exited.getExitCode(), exited::toString);
        assertEquals(log.toString(), exited.getLogPath());
        assertEquals(1, logLines(log).size(), "nothing more in the log: " + logLines(log));
        assertEquals(daemons, daemonPids(), "the daemon stays for the sandbox");
        assertEquals(PodSandboxState.SANDBOX_READY, cri.podSandboxStatus(sandbox).getState());

        cri.stopPodSandbox(sandbox);
        cri.removePodSandbox(sandbox);
        StatusRuntimeException gone = assertThrows(StatusRuntimeException.class, () -> cri.podSandboxStatus(sandbox));
        assertEquals(Status.Code.NOT_FOUND, gone.getStatus().getCode());
        ShimHarness.await("the pod's daemon to exit", BOUND, () -> allShims().isEmpty());
        assertEquals(List.of(), sockets(), "no socket left in " + h.socketDir);
        assertEquals(List.of(), ShimHarness.mountsUnder(h.work), "no mount left under " + h.work);
        assertEquals("", shimdiag("list"), "no shim listed");
    }

    @Test
    void aHandlersOptionsFileChoosesOneDaemonForTheNamespace() throws Exception {
        Path logDir = h.work.resolve("shared-logs");
        String a = cri.runPodSandbox(CriClient.hostNetworkPod("shared-a", UUID.randomUUID().toString(), logDir),
                PrivateContainerd.CRI_HANDLER_RUNHCS_SHARED);
        String b = cri.runPodSandbox(CriClient.hostNetworkPod("shared-b", UUID.randomUUID().toString(), logDir),
                PrivateContainerd.CRI_HANDLER_RUNHCS_SHARED);
        assertEquals(1, daemonPids().size(), "two pods, one daemon (DaemonScope = \"namespace\" in the handler's file): " + allShims());
        List<String> listed = shimdiag("list").lines().toList();
        assertEquals(1, listed.size(), "one live shim: " + listed);
        assertEquals(Set.of(a, b), Set.copyOf(Arrays.asList(listed.getFirst().split("\t")[1].split(","))),
                "the daemon serves both sandboxes: " + listed);

        for (String sandbox : List.of(a, b)) {
            cri.stopPodSandbox(sandbox);
            cri.removePodSandbox(sandbox);
        }
        ShimHarness.await("the namespace's daemon to exit", BOUND, () -> allShims().isEmpty());
        assertEquals(List.of(), sockets(), "no socket left in " + h.socketDir);
        assertEquals(List.of(), ShimHarness.mountsUnder(h.work), "no mount left under " + h.work);
    }

    /** Our daemons of this containerd (not their short-lived start processes). */
    private static List<Long> daemonPids() {
        return h.liveShims().stream().map(ProcessHandle::pid).sorted().toList();
    }

    /** Every shim of this containerd, ours or runc's, as pid and command line. */
    private static List<String> allShims() {
        return h.containerd.shimProcesses().stream().map(p -> p.pid() + " " + p.info().commandLine().orElse("")).toList();
    }

    /** Sockets in the shims' socket directory (its lock and lease files are no sockets). */
    private static List<Path> sockets() throws IOException {
        if (!Files.isDirectory(h.socketDir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(h.socketDir)) {
            return files.filter(ShimHarness::isSocket).toList();
        }
    }

    private static List<String> logLines(Path log) {
        try {
            return Files.exists(log) ? Files.readAllLines(log) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** dist/bin/shimdiag against this harness's socket directory; its stdout, or an AssertionError. */
    private static String shimdiag(String... args) throws IOException, InterruptedException {
        List<String> cmd = Stream.concat(Stream.of(ShimHarness.dist().resolve("bin/shimdiag").toString()), Stream.of(args)).toList();
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(new File("/dev/null"))
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("HCSSHIM_SOCKET_DIR", h.socketDir.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("shimdiag " + cmd + " did not finish");
        }
        assertEquals(0, p.exitValue(), () -> "shimdiag " + cmd + ": " + out);
        return out;
    }
}
