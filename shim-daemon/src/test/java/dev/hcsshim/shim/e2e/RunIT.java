package dev.hcsshim.shim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.fixtures.PrivateContainerd.CtrResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code ctr run} through io.containerd.runhcs.v1: output, exit codes, stdin, signals, terminals, load. */
class RunIT {
    static ShimHarness h;

    @BeforeAll
    static void up() throws IOException {
        h = ShimHarness.start("run-it");
    }

    @AfterAll
    static void down() throws IOException {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void echoReachesStdout() {
        CtrResult r = h.run("echo", "/bin/echo", "hello", "from", "runhcs").requireOk();
        assertEquals("hello from runhcs\n", r.stdout());
    }

    @Test
    void exitCodeIsPropagated() {
        CtrResult r = h.run("exit7", "/bin/sh", "-c", "exit 7");
        assertEquals(7, r.exitCode(), r.stderr());
    }

    @Test
    void killedBySignalReportsShellStatus() throws Exception {
        String id = "sigkill";
        Process ctr = new ProcessBuilder(h.containerd.ctrCommand(h.runArgs(List.of("--rm"), id, "/bin/sleep", "1000")))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        ShimHarness.await("task " + id + " running", Duration.ofSeconds(60), () -> h.taskStatus(id).map("RUNNING"::equals).orElse(false));
        h.ctr("task", "kill", "-s", "KILL", id).requireOk();
        assertTrue(ctr.waitFor(60, TimeUnit.SECONDS), "ctr did not return after the kill");
        assertEquals(128 + 9, ctr.exitValue());
    }

    @Test
    void stderrIsKeptApartFromStdout() {
        CtrResult r = h.run("split", "/bin/sh", "-c", "echo to-out; echo to-err >&2").requireOk();
        assertEquals("to-out\n", r.stdout());
        assertEquals("to-err\n", r.stderr());
    }

    @Test
    void twoHundredThousandLinesArriveByteIdentical() {
        CtrResult r = h.run("lines", "/bin/seq", "1", "200000").requireOk();
        String expected = IntStream.rangeClosed(1, 200_000).mapToObj(Integer::toString).collect(Collectors.joining("\n", "", "\n"));
        assertEquals(expected.length(), r.stdout().length());
        assertEquals(expected, r.stdout());
    }

    @Test
    void stdinIsPipedThroughCtr() throws Exception {
        String id = "stdin";
        Process ctr = new ProcessBuilder(h.containerd.ctrCommand(h.runArgs(List.of("--rm"), id, "/bin/sh", "-c", "wc -c; cat")))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        CompletableFuture<String> out = readAll(ctr);
        // ctr 1.6 only sends CloseIO if stdin ends after the task exists (containerd#4489).
        ShimHarness.await("task " + id + " running", Duration.ofSeconds(60), () -> h.taskStatus(id).map("RUNNING"::equals).orElse(false));
        byte[] payload = "line one\nline two\n".repeat(1000).getBytes(StandardCharsets.UTF_8);
        try (OutputStream in = ctr.getOutputStream()) {
            in.write(payload);
        }
        assertTrue(ctr.waitFor(60, TimeUnit.SECONDS), "ctr did not finish after stdin closed");
        assertEquals(0, ctr.exitValue());
        assertEquals(payload.length + "\n", out.get(10, TimeUnit.SECONDS));
    }

    @Test
    void sigtermTrappedByTheProcess() throws Exception {
        String id = "trap";
        Process ctr = new ProcessBuilder(h.containerd.ctrCommand(h.runArgs(List.of("--rm"), id, "/bin/sh", "-c",
                "trap 'echo got-term; exit 0' TERM; echo ready; while :; do sleep 0.1; done")))
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        BufferedReader lines = new BufferedReader(new InputStreamReader(ctr.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("ready", lines.readLine());
        h.ctr("task", "kill", id).requireOk(); // SIGTERM, ctr's default
        assertEquals("got-term", lines.readLine());
        assertTrue(ctr.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, ctr.exitValue());
    }

    @Test
    void terminalGivesTheProcessATty() throws Exception {
        // ctr -t needs a terminal of its own: script(1) gives it one.
        String ctrLine = String.join(" ", h.containerd.ctrCommand(h.runArgs(List.of("--rm", "-t"), "tty",
                "/bin/sh", "-c", "'tty; stty size; echo tty-done'")));
        Process script = new ProcessBuilder("script", "-qfec", ctrLine, "/dev/null")
                .redirectErrorStream(true).start();
        CompletableFuture<String> out = readAll(script);
        assertTrue(script.waitFor(90, TimeUnit.SECONDS), "ctr run -t did not finish");
        String text = out.get(10, TimeUnit.SECONDS);
        assertTrue(text.contains("/dev/pts/"), text);
        assertTrue(text.contains("tty-done"), text);
        assertEquals(0, script.exitValue(), text);
    }

    @Test
    void twentyContainersAtOnce() {
        List<CompletableFuture<CtrResult>> runs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int n = i;
            runs.add(CompletableFuture.supplyAsync(() -> h.run("par" + n, "/bin/echo", "container-" + n),
                    java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()));
        }
        for (int i = 0; i < 20; i++) {
            CtrResult r = runs.get(i).join().requireOk();
            assertEquals("container-" + i + "\n", r.stdout());
        }
    }

    @Test
    void missingBinaryIsAClearError() {
        CtrResult r = h.run("nobin", "/bin/does-not-exist");
        assertNotEquals(0, r.exitCode());
        assertTrue(r.stderr().contains("does-not-exist"), r.stderr());
        assertTrue(h.taskStatus("nobin").isEmpty(), "a failed create leaves no task");
    }

    private static CompletableFuture<String> readAll(Process p) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
    }
}
