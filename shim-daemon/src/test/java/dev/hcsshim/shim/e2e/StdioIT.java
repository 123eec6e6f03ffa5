package dev.hcsshim.shim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.fixtures.BusyboxBundle;
import dev.hcsshim.fixtures.PrivateContainerd;
import dev.hcsshim.fixtures.PrivateContainerd.CtrResult;
import dev.hcsshim.proto.task.v2.ConnectRequest;
import dev.hcsshim.proto.task.v2.CreateTaskRequest;
import dev.hcsshim.proto.task.v2.DeleteRequest;
import dev.hcsshim.proto.task.v2.StartRequest;
import dev.hcsshim.proto.task.v2.TaskGrpc;
import dev.hcsshim.proto.task.v2.WaitRequest;
import dev.hcsshim.proto.task.v2.WaitResponse;
import dev.hcsshim.ttrpc.TtrpcClient;
import io.grpc.MethodDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Where output goes: file:// and binary:// log URIs, back-pressure from a slow reader, OOM kills. */
class StdioIT {
    static final String NS = "stdio-it";
    static ShimHarness h;

    @BeforeAll
    static void up() throws IOException {
        h = ShimHarness.start(NS);
    }

    @AfterAll
    static void down() throws IOException {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void fileLogUriAppendsOutput() throws IOException {
        Path log = h.work.resolve("logs/file-uri.log");
        h.ctr(h.runArgs(java.util.List.of("--rm", "--log-uri", "file://" + log), "file-uri",
                "/bin/sh", "-c", "echo to-out; echo to-err >&2")).requireOk();
        String text = Files.readString(log);
        assertTrue(text.contains("to-out\n") && text.contains("to-err\n"), text);
    }

    @Test
    void binaryLogUriRunsTheLoggerWithContainerdsProtocol() throws IOException {
        Path logger = h.work.resolve("logger.sh");
        Path out = h.work.resolve("binary-log");
        // containerd's logging-binary protocol: stdout on fd 3, stderr on fd 4, close fd 5 when ready.
        Files.writeString(logger, """
                #!/bin/sh
                dest="$2"
                echo "$CONTAINER_NAMESPACE/$CONTAINER_ID" > "$dest.who"
                exec 5>&-
                cat <&3 > "$dest.out" &
                cat <&4 > "$dest.err" &
                wait
                """);
        Files.setPosixFilePermissions(logger, PosixFilePermissions.fromString("rwxr-xr-x"));
        h.ctr(h.runArgs(java.util.List.of("--rm", "--log-uri", "binary://" + logger + "?dest=" + out), "binary-uri",
                "/bin/sh", "-c", "seq 1 1000; echo oops >&2")).requireOk();
        ShimHarness.await("the logger to write everything", Duration.ofSeconds(30), () -> {
            try {
                return Files.readString(Path.of(out + ".out")).endsWith("1000\n") && Files.readString(Path.of(out + ".err")).equals("oops\n");
            } catch (IOException e) {
                return false;
            }
        });
        assertEquals(NS + "/binary-uri\n", Files.readString(Path.of(out + ".who")));
        assertEquals(1000, Files.readString(Path.of(out + ".out")).lines().count());
    }

    @Test
    void aSlowReaderHoldsTheWriterBackInsteadOfGrowingTheShim() throws Exception {
        String id = "slow-reader";
        Path bundle = BusyboxBundle.builder(h.work.resolve(id)).args("/bin/dd", "if=/dev/zero", "bs=1M", "count=256").build().dir();
        Path fifo = h.work.resolve(id + ".out");
        new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor(10, TimeUnit.SECONDS);
        Path socket = shimSocketOf("anchor");
        try (TtrpcClient client = TtrpcClient.forSocket(socket)) {
            int shimPid = call(client, TaskGrpc.getConnectMethod(), ConnectRequest.newBuilder().setId("anchor").build()).getShimPid();
            // Our end of the FIFO is open but nobody reads: 256 MiB must wait in the process, not in the shim.
            CompletableFuture<InputStream> opening = CompletableFuture.supplyAsync(() -> {
                try {
                    return Files.newInputStream(fifo); // returns once the shim opened its end
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            int pid = call(client, TaskGrpc.getCreateMethod(), CreateTaskRequest.newBuilder().setId(id).setBundle(bundle.toString())
                    .setStdout(fifo.toString()).build()).getPid();
            try (InputStream reader = opening.get(30, TimeUnit.SECONDS)) {
                long rssBefore = rssKb(shimPid);
                call(client, TaskGrpc.getStartMethod(), StartRequest.newBuilder().setId(id).build());
                CompletableFuture<WaitResponse> exit = client.call(TaskGrpc.getWaitMethod(), WaitRequest.newBuilder().setId(id).build(),
                        Map.of("containerd-namespace-ttrpc", NS), Duration.ofMinutes(5));
                ShimHarness.await("the pipes to fill up", Duration.ofSeconds(30), () -> blockedOnWrite(pid));
                assertTrue(!exit.isDone(), "the writer cannot finish while nobody reads");
                long growth = rssKb(shimPid) - rssBefore;
                assertTrue(growth < 32 * 1024, "shim RSS grew by " + growth + " KiB");
                long total = 0;
                byte[] buf = new byte[1 << 16];
                for (int n; (n = reader.read(buf)) > 0; ) {
                    total += n;
                }
                assertEquals(256L << 20, total, "every byte arrives");
                assertEquals(0, exit.get(60, TimeUnit.SECONDS).getExitStatus());
            }
            call(client, TaskGrpc.getDeleteMethod(), DeleteRequest.newBuilder().setId(id).build());
        }
    }

    @Test
    void anOomKillIsPublished() throws IOException {
        try (PrivateContainerd.Events events = h.containerd.startEvents()) {
            CtrResult r = h.ctr(h.runArgs(java.util.List.of("--rm", "--memory-limit", "33554432"), "oom", "/bin/tail", "/dev/zero"));
            assertEquals(137, r.exitCode(), r.stderr());
            events.awaitLine(l -> l.contains("/tasks/oom") && l.contains("\"oom\""), Duration.ofSeconds(30));
        }
    }

    /** The socket of a daemon containerd started for a throwaway task (the anchor keeps it alive). */
    private static Path shimSocketOf(String anchor) throws IOException {
        if (h.taskStatus(anchor).isEmpty()) {
            h.runDetached(anchor, "/bin/sleep", "1000").requireOk();
        }
        Path bundle = h.containerd.workDir().resolve("state/io.containerd.runtime.v2.task").resolve(NS).resolve(anchor);
        return Path.of(Files.readString(bundle.resolve("address")).trim().replaceFirst("^unix://", ""));
    }

    private static <Q, R> R call(TtrpcClient client, MethodDescriptor<Q, R> m, Q req) throws Exception {
        return client.call(m, req, Map.of("containerd-namespace-ttrpc", NS), Duration.ofSeconds(60)).get(90, TimeUnit.SECONDS);
    }

    private static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IOException("no VmRSS for " + pid);
    }

    /** True when the process sleeps in a pipe write (its output is full). */
    private static boolean blockedOnWrite(long pid) {
        try {
            String wchan = Files.readString(Path.of("/proc/" + pid + "/wchan"));
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("S") && wchan.contains("pipe");
        } catch (IOException e) {
            return false;
        }
    }
}
