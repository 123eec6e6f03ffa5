package dev.hcsshim.hcsoci;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class CmdTest {

    @Test
    void outputCollectsStdout() throws Exception {
        FakeHost host = new FakeHost("windows", false);
        host.script = p -> {
            p.print("hello ");
            p.print("world");
            p.exit(0);
        };
        Cmd c = Cmd.command(host, "cmd.exe", "/c", "echo hello world");
        assertEquals("hello world", new String(c.output(), StandardCharsets.UTF_8));
        assertTrue(c.exitState.exited());
        assertEquals(0, c.exitState.exitCode());
        assertTrue(host.processes.get(0).closed, "Wait closes the process");
        Map<String, Object> cfg = host.configs.get(0);
        assertEquals("cmd.exe /c \"echo hello world\"", cfg.get("CommandLine"));
        assertEquals("C:\\", cfg.get("WorkingDirectory"));
        assertEquals(Boolean.FALSE, cfg.get("CreateStdInPipe"));
        assertEquals(Boolean.TRUE, cfg.get("CreateStdOutPipe"));
        assertEquals(Boolean.FALSE, cfg.get("CreateStdErrPipe"));
    }

    @Test
    void runReportsNonZeroExitAsExitError() throws Exception {
        FakeHost host = new FakeHost("windows", false);
        host.script = p -> {
            p.print("partial");
            p.exit(3);
        };
        Cmd c = Cmd.command(host, "x");
        ExitError e = assertThrows(ExitError.class, c::output);
        assertEquals(3, e.exitCode());
        assertEquals("process exited with exit code 3", e.getMessage());
        assertEquals("partial", new String(e.output(), StandardCharsets.UTF_8));
        assertEquals(3, c.exitState.exitCode());
    }

    @Test
    void stdinIsRelayedAndClosedAndStderrSeparate() throws Exception {
        FakeHost host = new FakeHost("linux", false);
        host.script = p -> {
            try {
                String s = p.readAllStdin();
                p.print(s.toUpperCase());
                p.printErr("warn");
                p.exit(0);
            } catch (IOException e) {
                p.exit(99);
            }
        };
        Cmd c = Cmd.command(host, "tr", "a-z", "A-Z");
        c.stdin = new ByteArrayInputStream("abc".getBytes(StandardCharsets.UTF_8));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        c.stdout = out;
        c.stderr = err;
        c.run();
        assertEquals("ABC", out.toString(StandardCharsets.UTF_8));
        assertEquals("warn", err.toString(StandardCharsets.UTF_8));
        assertTrue(host.processes.get(0).stdinClosed);
        Map<String, Object> cfg = host.configs.get(0);
        assertEquals(List.of("tr", "a-z", "A-Z"), cfg.get("CommandArgs"), "non-Windows hosts get argv");
        assertEquals("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                ((Map<?, ?>) cfg.get("Environment")).get("PATH"));
    }

    @Test
    void ociHostsGetTheSpecItself() throws Exception {
        FakeHost host = new FakeHost("linux", true);
        Cmd c = Cmd.command(host, "true");
        c.run();
        Map<String, Object> cfg = host.configs.get(0);
        assertSame(c.spec, cfg.get("OciProcess"));
        assertFalse(cfg.containsKey("CommandLine"));
    }

    @Test
    void anIdleStreamAfterExitIsClosedAfterTheTimeout() throws Exception {
        FakeHost host = new FakeHost("windows", false);
        host.script = p -> {
            p.print("before exit");
            p.exitKeepingStdout(0); // a leftover holds stdout open and writes nothing more
        };
        Cmd c = Cmd.command(host, "x");
        c.copyAfterExitTimeout = Duration.ofMillis(200);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        c.stdout = out;
        c.run(); // returns: the idle stream was closed
        assertEquals("before exit", out.toString(StandardCharsets.UTF_8));
        assertEquals(0, c.exitState.exitCode());
    }

    @Test
    void outputThatKeepsFlowingAfterExitIsNeverCut() throws Exception {
        FakeHost host = new FakeHost("windows", false);
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 100; i++) expected.append("line ").append(i).append('\n');
        host.script = p -> {
            p.exitKeepingStdout(0);
            // a child that outlives the process writes for about twice the timeout, then ends
            try {
                for (int i = 0; i < 100; i++) {
                    p.print("line " + i + "\n");
                    Thread.sleep(20);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            FakeHost.q(p.out.out);
        };
        Cmd c = Cmd.command(host, "x");
        c.copyAfterExitTimeout = Duration.ofSeconds(1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        c.stdout = out;
        c.run();
        assertEquals(expected.toString(), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void withoutCopyAfterExitTimeoutTheRelayIsAwaited() throws Exception {
        FakeHost host = new FakeHost("windows", false);
        host.script = p -> p.exitKeepingStdout(0);
        Cmd c = Cmd.command(host, "x");
        c.stdout = new ByteArrayOutputStream();
        c.start();
        Thread waiter = Thread.ofPlatform().start(() -> {
            try {
                c.waitFor();
            } catch (Exception e) {
                // ends when we close the pipe below
            }
        });
        waiter.join(300);
        assertTrue(waiter.isAlive(), "waitFor must wait for stdout");
        FakeHost.q(host.processes.get(0).out.out);
        waiter.join(10_000);
        assertFalse(waiter.isAlive());
    }

    @Test
    void commandContextKillsOnCancellation() throws Exception {
        FakeHost host = new FakeHost("windows", false);
        host.script = p -> {}; // runs until killed
        CompletableFuture<Void> ctx = new CompletableFuture<>();
        Cmd c = Cmd.commandContext(ctx, host, "sleep");
        c.stdout = new ByteArrayOutputStream();
        c.start();
        assertFalse(host.processes.get(0).killed);
        ctx.cancel(false);
        ExitError e = assertThrows(ExitError.class, c::waitFor);
        assertEquals(137, e.exitCode());
        assertTrue(host.processes.get(0).killed);
    }

    @Test
    void windowsArgumentEscaping() {
        assertEquals("\"\"", WindowsArgs.escape(""));
        assertEquals("plain", WindowsArgs.escape("plain"));
        assertEquals("\"a b\"", WindowsArgs.escape("a b"));
        assertEquals("a\\\"b", WindowsArgs.escape("a\"b"));
        assertEquals("\"c:\\dir with space\\\\\"", WindowsArgs.escape("c:\\dir with space\\"));
        assertEquals("a\\\\\\\"b", WindowsArgs.escape("a\\\"b"));
    }

    @Test
    void resourcesReleaseNewestFirstAndReportEveryFailure() {
        List<String> order = new ArrayList<>();
        Resources r = new Resources("c1");
        r.add(() -> order.add("scsi"));
        r.add(() -> {
            order.add("vsmb");
            throw new IOException("vsmb busy");
        });
        r.add(new ResourceCloser() {
            public void release() {
                order.add("endpoints");
            }

            public Kind kind() {
                return Kind.NETWORK_ENDPOINTS;
            }
        });
        r.add(() -> {
            order.add("plan9");
            throw new IOException("plan9 gone");
        });
        boolean[] layers = {false};
        r.setLayers(all -> layers[0] = true);
        IOException e = assertThrows(IOException.class, () -> r.release(null, true));
        assertEquals(List.of("plan9", "vsmb", "scsi"), order, "endpoints kept: the shim did not create the netns");
        assertEquals("plan9 gone", e.getCause().getMessage());
        assertEquals("vsmb busy", e.getSuppressed()[0].getMessage());
        assertFalse(layers[0], "layers stay while other resources failed to release");
        assertEquals(1, r.size());
    }

    @Test
    void resourcesReleaseLayersLastOnSuccess() throws IOException {
        List<String> order = new ArrayList<>();
        Resources r = new Resources("c1");
        r.setNetNs("ns1", true, true);
        r.add(() -> order.add("a"));
        r.add(new ResourceCloser() {
            public void release() {
                order.add("endpoints");
            }

            public Kind kind() {
                return Kind.NETWORK_ENDPOINTS;
            }
        });
        r.setLayers(all -> order.add("layers all=" + all));
        r.release(ns -> order.add("teardown " + ns), false);
        assertEquals(List.of("teardown ns1", "endpoints", "a", "layers all=false"), order);
    }

    @Test
    void execInUvmRunsWithUpstreamIo() throws Exception {
        FakeHost host = new FakeHost("windows", false);
        host.script = p -> {
            p.print("diag");
            p.exit(5);
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        UpstreamIO io = new UpstreamIO() {
            public void close() {}
            public void closeStdin() {}
            public java.io.InputStream stdin() { return null; }
            public String stdinPath() { return ""; }
            public java.io.OutputStream stdout() { return out; }
            public String stdoutPath() { return "p"; }
            public java.io.OutputStream stderr() { return null; }
            public String stderrPath() { return ""; }
            public boolean terminal() { return false; }
        };
        int code = ExecInUvm.exec(null, host,
                new ExecInUvm.Request(List.of("ipconfig", "/all"), "C:\\w", false, "", "p", ""),
                (a, b, cc, t) -> io);
        assertEquals(5, code);
        assertEquals("diag", out.toString(StandardCharsets.UTF_8));
        assertEquals("C:\\w", host.configs.get(0).get("WorkingDirectory"));
        assertEquals("NT AUTHORITY\\SYSTEM", host.configs.get(0).get("User"));
        assertThrows(IllegalArgumentException.class, () -> ExecInUvm.exec(null, host,
                new ExecInUvm.Request(List.of(), "", false, "", "", ""), (a, b, cc, t) -> io));
    }
}
