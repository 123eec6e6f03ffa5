package dev.hcsshim.shim.stdio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.linux.ExitWatcher;
import dev.hcsshim.linux.Fds;
import dev.hcsshim.linux.OciRuntime;
import java.io.File;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The copy-after-exit rule on real processes: a child that outlives its parent and keeps
 * writing is copied to the end; a silent child holding the pipe does not hold the exit forever.
 */
class ProcessStdioTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    private static final long BOUND_S = 30;

    /** Runs {@code script} with its stdout through a ProcessStdio into a pipe we read; returns the output. */
    private static String run(String script, java.util.function.Consumer<String> whileDraining) throws Exception {
        int[] client = Fds.pipe(); // [0]: what the test reads, [1]: the client end given to the owner
        try (InputStream out = Files.newInputStream(Path.of("/proc/self/fd/" + client[0]))) {
            Fds.closeQuietly(client[0]);
            CompletableFuture<String> text = CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(out.readAllBytes(), StandardCharsets.UTF_8);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (ProcessStdio stdio = ProcessStdio.forOpenEnds("test", -1, client[1], -1, TIMEOUT)) {
                OciRuntime.Stdio child = stdio.containerStdio();
                Process p = ExitWatcher.shared().spawn(new ProcessBuilder("/bin/sh", "-c", script)
                        .redirectInput(new File("/dev/null"))
                        .redirectOutput(ProcessBuilder.Redirect.to(new File("/proc/self/fd/" + child.stdout())))
                        .redirectError(ProcessBuilder.Redirect.DISCARD));
                stdio.started();
                assertEquals(0, p.waitFor());
                CompletableFuture<Void> drained = stdio.drained();
                drained.get(BOUND_S, TimeUnit.SECONDS);
            }
            String result = text.get(BOUND_S, TimeUnit.SECONDS);
            whileDraining.accept(result);
            return result;
        }
    }

    @Test
    void outputThatKeepsFlowingAfterExitIsNeverCut() throws Exception {
        // the shell exits at once; its child writes for about three times the timeout
        String out = run("(for i in $(seq 1 150); do echo line$i; sleep 0.02; done) & exit 0", s -> {});
        String expected = IntStream.rangeClosed(1, 150).mapToObj(i -> "line" + i + "\n").collect(Collectors.joining());
        assertEquals(expected, out);
    }

    @Test
    void anIdleInheritedStreamIsClosedAfterTheTimeout() throws Exception {
        // a silent child keeps the pipe open for a minute: the drain ends without it
        String out = run("sleep 60 & echo $!; exit 0", pid -> ProcessHandle.of(Long.parseLong(pid.trim()))
                .ifPresent(ProcessHandle::destroyForcibly));
        assertTrue(out.trim().matches("\\d+"), out);
    }
}
