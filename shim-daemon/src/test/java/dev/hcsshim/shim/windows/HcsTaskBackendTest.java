package dev.hcsshim.shim.windows;

import dev.hcsshim.fixtures.HcsDouble;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Any;
import dev.hcsshim.process.ExitStatus;
import dev.hcsshim.proto.runhcs.options.Options;
import dev.hcsshim.proto.runhcs.options.ProcessDetails;
import dev.hcsshim.proto.runhcs.stats.Statistics;
import dev.hcsshim.shim.task.CreateSpec;
import dev.hcsshim.shim.task.StdioSpec;
import dev.hcsshim.shim.task.TaskBackend;
import dev.hcsshim.shim.task.TypeUrls;
import dev.hcsshim.windows.HcsTimeouts;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** HcsTaskBackend through the real JNA binding against the native vmcompute double. */
@Timeout(60)
class HcsTaskBackendTest {
    static HcsDouble dbl;
    static final ObjectMapper JSON = new ObjectMapper();
    static final String VOLUME = "\\\\?\\Volume{4e5b1c2a-0000-0000-0000-100000000000}\\";

    @TempDir
    Path tmp;
    UpstreamPipes pipes;
    HcsTaskBackend backend;

    @BeforeAll
    static void load() {
        dbl = HcsDouble.install();
    }

    @BeforeEach
    void reset() throws Exception {
        dbl.dbl_reset();
        HcsTimeouts.setAll(Duration.ofSeconds(20));
        Path sockets = Files.createDirectories(tmp.resolve("s"));
        pipes = new UpstreamPipes(sockets);
        backend = new HcsTaskBackend(pipes.dialer(), Duration.ofSeconds(2), Duration.ofSeconds(10));
    }

    @AfterEach
    void noLeaks() throws Exception {
        pipes.close();
        assertNoLeaks(dbl);
    }

    static void assertNoLeaks(HcsDouble dbl) {
        // exit notifications and their frees arrive on native threads: a bounded moment for them
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while ((dbl.dbl_live_cotaskmem() != 0 || dbl.dbl_live_handles() != 0 || dbl.dbl_live_callbacks() != 0)
                && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(0, dbl.dbl_live_cotaskmem(), "CoTaskMem strings leaked");
        assertEquals(0, dbl.dbl_live_handles(), "HCS handles leaked");
        assertEquals(0, dbl.dbl_live_callbacks(), "callbacks left registered");
        assertEquals(0, dbl.dbl_double_closes(), "a handle was closed twice");
    }

    static Path bundle(Path dir, String process) throws Exception {
        Path b = Files.createDirectories(dir.resolve("bundle"));
        String config = """
                {"ociVersion":"1.1.0",
                 "process":%s,
                 "root":{"path":"%s"},
                 "hostname":"wc1",
                 "mounts":[{"destination":"C:\\\\data","source":"C:\\\\host\\\\data","options":["ro"]},
                           {"destination":"\\\\\\\\.\\\\pipe\\\\docker_engine","source":"\\\\\\\\.\\\\pipe\\\\docker_engine"}],
                 "windows":{"layerFolders":["C:\\\\layers\\\\base","C:\\\\layers\\\\scratch"],
                            "resources":{"memory":{"limit":536870912},"cpu":{"count":2,"maximum":5000}}}}
                """.formatted(process, VOLUME.replace("\\", "\\\\"));
        Files.writeString(b.resolve("config.json"), config);
        return b;
    }

    static final String INIT = "{\"args\":[\"cmd\",\"/c\",\"ping -t localhost\"],\"cwd\":\"C:\\\\\",\"env\":[\"A=1\"],"
            + "\"user\":{\"username\":\"ContainerUser\"}}";

    CreateSpec spec(String id, Path bundle, StdioSpec stdio) {
        return new CreateSpec("default", id, bundle, List.of(), stdio, "", Options.getDefaultInstance());
    }

    static <T> T within(CompletableFuture<T> f) throws Exception {
        return f.get(20, TimeUnit.SECONDS);
    }

    @Test
    void aWholeTaskLife() throws Exception {
        TaskBackend.Task task = backend.create(spec("wc1", bundle(tmp, INIT), new StdioSpec("", "", "", false)));
        JsonNode doc = JSON.readTree(dbl.lastInput("HcsCreateComputeSystem"));
        assertEquals("wc1", dbl.lastInput("HcsCreateComputeSystem.id"));
        assertEquals(2, doc.path("SchemaVersion").path("Major").asInt());
        assertEquals(1, doc.path("SchemaVersion").path("Minor").asInt());
        assertTrue(doc.path("ShouldTerminateOnLastHandleClosed").asBoolean());
        JsonNode c = doc.path("Container");
        assertEquals(VOLUME, c.path("Storage").path("Path").asText());
        assertEquals(1, c.path("Storage").path("Layers").size(), "the scratch is not a read-only layer");
        assertEquals("C:\\layers\\base", c.path("Storage").path("Layers").get(0).path("Path").asText());
        assertEquals(36, c.path("Storage").path("Layers").get(0).path("Id").asText().length());
        assertEquals("C:\\data", c.path("MappedDirectories").get(0).path("ContainerPath").asText());
        assertTrue(c.path("MappedDirectories").get(0).path("ReadOnly").asBoolean());
        assertEquals("docker_engine", c.path("MappedPipes").get(0).path("ContainerPipeName").asText());
        assertEquals(512, c.path("Memory").path("SizeInMB").asInt());
        assertEquals(2, c.path("Processor").path("Count").asInt());
        assertEquals(5000, c.path("Processor").path("Maximum").asInt());
        assertEquals("wc1", c.path("GuestOs").path("HostName").asText());
        assertEquals(0, task.init().pid(), "HCS makes the init process at Start");

        dbl.dbl_next_process("", "", 0, HcsDouble.P_RUN);
        task.start();
        int initPid = task.init().pid();
        assertTrue(initPid > 0);
        JsonNode params = JSON.readTree(dbl.lastInput("HcsCreateProcess"));
        assertEquals("cmd /c \"ping -t localhost\"", params.path("CommandLine").asText());
        assertEquals("C:\\", params.path("WorkingDirectory").asText());
        assertEquals("1", params.path("Environment").path("A").asText());
        assertEquals("ContainerUser", params.path("User").asText());
        assertFalse(params.path("EmulateConsole").asBoolean());
        assertFalse(params.path("CreateStdOutPipe").asBoolean(), "no upstream stdout, no pipe");

        // an exec with its own output and exit code, relayed to containerd's pipe before its exit counts
        Map.Entry<String, CompletableFuture<String>> out = pipes.output("exec1-stdout");
        Map.Entry<String, CompletableFuture<String>> err = pipes.output("exec1-stderr");
        dbl.dbl_next_process("hello from exec\n", "oops\n", 3, HcsDouble.P_EXIT);
        TaskBackend.Process exec = task.exec("exec1", new StdioSpec("", out.getKey(), err.getKey(), false),
                "{\"args\":[\"cmd\",\"/c\",\"echo hello\"],\"cwd\":\"C:\\\\work\"}".getBytes(StandardCharsets.UTF_8));
        JsonNode execParams = JSON.readTree(dbl.lastInput("HcsCreateProcess"));
        assertTrue(execParams.path("CreateStdOutPipe").asBoolean());
        assertTrue(execParams.path("CreateStdErrPipe").asBoolean());
        assertEquals("C:\\work", execParams.path("WorkingDirectory").asText());
        ExitStatus execExit = within(exec.exited().toCompletableFuture());
        assertEquals(3, execExit.status());
        assertEquals("hello from exec\n", within(out.getValue()));
        assertEquals("oops\n", within(err.getValue()));
        exec.close();

        task.pause();
        task.resume();

        dbl.dbl_script("HcsGetComputeSystemProperties", HcsDouble.OK, 0, """
                {"Statistics":{"Timestamp":"2026-11-22T10:00:00Z","ContainerStartTime":"2026-11-22T09:59:00Z",
                 "Uptime100ns":600000000,"Processor":{"TotalRuntime100ns":30,"RuntimeUser100ns":20,"RuntimeKernel100ns":10},
                 "Memory":{"MemoryUsageCommitBytes":4096,"MemoryUsageCommitPeakBytes":8192,"MemoryUsagePrivateWorkingSetBytes":2048},
                 "Storage":{"ReadCountNormalized":1,"ReadSizeBytes":512,"WriteCountNormalized":2,"WriteSizeBytes":1024}}}""", 0, 0);
        Any stats = task.stats();
        assertEquals("containerd.runhcs.stats.v1.Statistics", stats.getTypeUrl(), "containerd's bare type URL");
        Statistics s = TypeUrls.unpack(stats, Statistics.getDefaultInstance());
        assertEquals(60_000_000_000L, s.getWindows().getUptimeNs());
        assertEquals(3000, s.getWindows().getProcessor().getTotalRuntimeNs());
        assertEquals(2048, s.getWindows().getMemory().getMemoryUsagePrivateWorkingSetBytes());
        assertEquals(1024, s.getWindows().getStorage().getWriteSizeBytes());
        assertEquals(java.time.Instant.parse("2026-11-22T10:00:00Z").getEpochSecond(), s.getWindows().getTimestamp().getSeconds());
        assertTrue(JSON.readTree(dbl.lastInput("HcsGetComputeSystemProperties")).toString().contains("Statistics"));

        dbl.dbl_script("HcsGetComputeSystemProperties", HcsDouble.OK, 0,
                "{\"ProcessList\":[{\"ProcessId\":" + initPid + ",\"ImageName\":\"cmd.exe\"},{\"ProcessId\":4242}]}", 0, 0);
        assertEquals(List.of(initPid, 4242), task.pids());
        Any details = task.execDetails("exec1", 4242);
        assertEquals("containerd.runhcs.v1.ProcessDetails", details.getTypeUrl());
        assertEquals("exec1", TypeUrls.unpack(details, ProcessDetails.getDefaultInstance()).getExecId());

        task.update("{\"memory\":{\"limit\":1073741824}}".getBytes(StandardCharsets.UTF_8));
        JsonNode modify = JSON.readTree(dbl.lastInput("HcsModifyComputeSystem"));
        assertEquals("Container/Memory/SizeInMB", modify.path("ResourcePath").asText());
        assertEquals(1024, modify.path("Settings").asInt());
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> task.update("{}".getBytes(StandardCharsets.UTF_8))));

        assertEquals(Status.Code.FAILED_PRECONDITION, code(() -> task.checkpoint(tmp.resolve("cp"), Any.getDefaultInstance())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> task.kill(3, false)), "SIGQUIT has no Windows twin");

        // SIGTERM is CtrlShutdown (the double's process ignores it); SIGKILL terminates
        task.kill(15, false);
        assertEquals("CtrlShutdown", JSON.readTree(dbl.lastInput("HcsSignalProcess")).path("Signal").asText());
        assertFalse(task.init().exited().toCompletableFuture().isDone());
        task.kill(9, false);
        assertEquals(1, within(task.init().exited().toCompletableFuture()).status(), "what HCS reports for a terminated process");
        assertEquals(Status.Code.NOT_FOUND, code(() -> task.kill(9, false)));

        // terminate is answered pending, then SystemExited arrives: delete waits for it, then closes
        dbl.dbl_script("HcsTerminateComputeSystem", HcsDouble.PENDING, 0, null, 20, 0);
        task.delete();
        task.init().close();
    }

    @Test
    void deleteReleasesWhatTheContainerHolds() throws Exception {
        Map.Entry<String, CompletableFuture<String>> out = pipes.output("held-stdout");
        HcsTaskBackend.HcsTask task = (HcsTaskBackend.HcsTask) backend.create(
                spec("wc-held", bundle(tmp, INIT), new StdioSpec("", out.getKey(), "", false)));
        assertEquals(1, task.resources().size(), "containerd's stdio for the init");
        assertFalse(out.getValue().isDone());
        dbl.dbl_script("HcsTerminateComputeSystem", HcsDouble.PENDING, 0, null, 5, 0);
        task.delete();
        assertEquals(0, task.resources().size(), "released at delete");
        assertEquals("", within(out.getValue()), "containerd's copy of a never-started init ends");
    }

    @Test
    void terminalAndStdinAreWiredToTheProcess() throws Exception {
        Map.Entry<String, CompletableFuture<String>> out = pipes.output("tty-stdout");
        TaskBackend.Task task = backend.create(spec("wc-tty", bundle(tmp, INIT), new StdioSpec("", out.getKey(), "", true)));
        dbl.dbl_next_process("C:\\>", "", 0, HcsDouble.P_EXIT);
        task.start();
        JsonNode params = JSON.readTree(dbl.lastInput("HcsCreateProcess"));
        assertTrue(params.path("EmulateConsole").asBoolean());
        assertFalse(params.path("CreateStdErrPipe").asBoolean(), "a console has no separate stderr");
        assertEquals(0, within(task.init().exited().toCompletableFuture()).status());
        assertEquals("C:\\>", within(out.getValue()));
        dbl.dbl_script("HcsTerminateComputeSystem", HcsDouble.PENDING, 0, null, 5, 0);
        task.delete();
        task.init().close();
    }

    @Test
    void createFailureCarriesHcsErrorEvents() throws Exception {
        String events = "{\"Error\":-1070137075,\"ErrorMessage\":\"invalid JSON document\",\"ErrorEvents\":["
                + "{\"Message\":\"The layer path C:\\\\layers\\\\base does not exist\",\"Provider\":\"17d8e2a9\",\"EventId\":12,\"Source\":\"vmcompute\"}]}";
        dbl.dbl_script("HcsCreateComputeSystem", HcsDouble.FAIL, 0xC037010D, events, 0, 0);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> backend.create(spec("wc-bad", bundle(tmp, INIT), new StdioSpec("", "", "", false))));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("create compute system wc-bad"), e.getMessage());
        assertTrue(e.getStatus().getDescription().contains("does not exist"), "HCS's own words reach the user: " + e.getMessage());

        dbl.dbl_script("HcsCreateComputeSystem", HcsDouble.FAIL, 0x80070005, null, 0, 0);
        assertEquals(Status.Code.PERMISSION_DENIED,
                code(() -> backend.create(spec("wc-denied", bundle(tmp.resolve("2"), INIT), new StdioSpec("", "", "", false)))));
    }

    @Test
    void aFailedCreateReleasesTheStdioItOpened() throws Exception {
        Map.Entry<String, CompletableFuture<String>> out = pipes.output("failed-stdout");
        dbl.dbl_script("HcsCreateComputeSystem", HcsDouble.FAIL, 0xC0370105, null, 0, 0);
        assertEquals(Status.Code.FAILED_PRECONDITION,
                code(() -> backend.create(spec("wc-f", bundle(tmp, INIT), new StdioSpec("", out.getKey(), "", false)))));
        assertEquals("", within(out.getValue()), "the upstream pipe was closed");
    }

    @Test
    void specsHcsCannotRunAreRefused() throws Exception {
        Path b = bundle(tmp, INIT);
        Files.writeString(b.resolve("config.json"), "{\"process\":{\"args\":[\"sh\"]},\"linux\":{}}");
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> backend.create(spec("lx", b, new StdioSpec("", "", "", false)))));
        Files.writeString(b.resolve("config.json"), "{\"process\":{\"args\":[\"cmd\"]},\"windows\":{\"layerFolders\":[\"C:\\\\l\",\"C:\\\\s\"],\"hyperv\":{}}}");
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> backend.create(spec("hv", b, new StdioSpec("", "", "", false)))));
        assertEquals(Status.Code.INVALID_ARGUMENT,
                code(() -> backend.create(spec("nostd", bundle(tmp.resolve("x"), INIT), new StdioSpec("", "\\\\.\\pipe\\gone", "", false)))));
        String lastId = dbl.lastInput("HcsCreateComputeSystem.id");
        assertTrue(lastId == null || !List.of("lx", "hv", "nostd").contains(lastId), "nothing reached HCS: " + lastId);
    }

    @Test
    void cleanupAfterCrashOfAnAbsentSystemIsFine() throws Exception {
        backend.cleanupAfterCrash("default", "never-existed", tmp);
        assertNotNull(dbl.lastInput("HcsOpenComputeSystem"));
    }

    @Test
    void cleanupAfterCrashTerminatesALeftoverSystem() throws Exception {
        TaskBackend.Task task = backend.create(spec("left", bundle(tmp, INIT), new StdioSpec("", "", "", false)));
        backend.cleanupAfterCrash("default", "left", tmp);
        assertEquals("left", dbl.lastInput("HcsOpenComputeSystem"));
        dbl.dbl_script("HcsTerminateComputeSystem", HcsDouble.PENDING, 0, null, 5, 0);
        task.delete();
    }

    interface Call {
        void run() throws Exception;
    }

    static Status.Code code(Call c) {
        try {
            c.run();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        } catch (Exception e) {
            fail("expected a gRPC status, got " + e);
        }
        fail("expected a failure");
        return null;
    }
}
