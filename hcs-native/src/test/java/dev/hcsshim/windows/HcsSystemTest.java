package dev.hcsshim.windows;

import com.sun.jna.WString;
import dev.hcsshim.fixtures.HcsDouble;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hcsshim.hcs.ErrorEvent;
import dev.hcsshim.hcs.Hcs;
import dev.hcsshim.hcs.HcsError;
import dev.hcsshim.hcs.ProcessError;
import dev.hcsshim.hcs.SystemError;
import dev.hcsshim.hcsoci.Cmd;
import dev.hcsshim.hcsoci.ExitError;
import dev.hcsshim.windows.schema.ComputeSystemQuery;
import dev.hcsshim.windows.schema.ContainerProperties;
import dev.hcsshim.windows.schema.ModificationRequest;
import dev.hcsshim.windows.schema.ProcessParameters;
import dev.hcsshim.windows.schema.PropertyQuery;
import dev.hcsshim.windows.schema.SignalProcessOptionsWCOW;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** hcs.System and hcs.Process through JNA against the native vmcompute double. */
@Timeout(60)
class HcsSystemTest {
    static HcsDouble dbl;
    static final ObjectMapper JSON = new ObjectMapper();
    static final String EVENTS = "{\"Error\":-2143878907,\"ErrorMessage\":\"invalid state\",\"ErrorEvents\":["
            + "{\"Message\":\"The container is not running\",\"Provider\":\"17d8e2a9\",\"EventId\":12345,\"Source\":\"vmcompute\"}]}";

    @BeforeAll
    static void load() {
        dbl = HcsDouble.install();
    }

    @BeforeEach
    void reset() {
        dbl.dbl_reset();
        HcsTimeouts.setAll(Duration.ofSeconds(20));
    }

    @AfterEach
    void noLeaks() throws Exception {
        // process-exit notifications arrive on native threads; give those a bounded moment
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (dbl.dbl_live_cotaskmem() != 0 && System.nanoTime() < deadline) Thread.onSpinWait();
        assertEquals(0, dbl.dbl_live_cotaskmem(), "CoTaskMem strings leaked");
        assertEquals(0, dbl.dbl_live_handles(), "HCS handles leaked");
        assertEquals(0, dbl.dbl_live_callbacks(), "callbacks left registered");
        assertEquals(0, dbl.dbl_double_closes(), "a handle was closed twice");
    }

    private static HcsSystem create(String id) throws IOException {
        return HcsSystem.createComputeSystem(id, Map.of("Owner", "test", "SchemaVersion", Map.of("Major", 2, "Minor", 1)));
    }

    @Test
    void createStartCloseImmediate() throws Exception {
        HcsSystem s = create("c-immediate");
        assertEquals("c-immediate", s.id());
        assertEquals("windows", s.os());
        assertFalse(s.isOci());
        JsonNode doc = JSON.readTree(dbl.lastInput("HcsCreateComputeSystem"));
        assertEquals("test", doc.get("Owner").asText());
        s.start();
        s.close();
        s.close(); // idempotent, and the double counts a second native close
        assertTrue(Hcs.isAlreadyClosed(assertThrows(IOException.class, s::start)));
        assertTrue(Hcs.isAlreadyClosed(assertThrows(IOException.class, s::waitFor)));
    }

    @Test
    void utf16IdsSurviveTheRoundTrip() throws Exception {
        String id = "ctr-é-漢字-😀";
        try (HcsSystem s = create(id)) {
            assertEquals(id, dbl.lastInput("HcsCreateComputeSystem.id"));
            assertEquals(id, s.propertiesV2().id(), "read back through a CoTaskMem UTF-16 result");
        }
    }

    @Test
    void pendingStartWaitsForCompletionFromANativeThread() throws Exception {
        dbl.dbl_script("HcsCreateComputeSystem", HcsDouble.PENDING, 0, null, 30, 0);
        dbl.dbl_script("HcsStartComputeSystem", HcsDouble.PENDING, 0, null, 50, 0);
        long fired = dbl.dbl_callbacks_fired();
        try (HcsSystem s = create("c-pending")) {
            s.start();
        }
        assertEquals(fired + 2, dbl.dbl_callbacks_fired());
        Thread t = NotificationWatcher.lastDispatchThread;
        assertNotNull(t);
        assertNotSame(Thread.currentThread(), t);
        assertFalse(t.isVirtual(), "completions come from a native thread JNA attached");
    }

    @Test
    void theDoubleCatchesAHandleClosedTwice() {
        var h = new com.sun.jna.ptr.PointerByReference();
        var result = new com.sun.jna.ptr.PointerByReference();
        assertEquals(0, Natives.vmcompute().HcsCreateComputeSystem(new WString("raw"), new WString("{}"), null, h, result));
        assertEquals(0, Natives.vmcompute().HcsCloseComputeSystem(h.getValue()));
        int hr = Natives.vmcompute().HcsCloseComputeSystem(h.getValue());
        assertTrue(Hcs.isErrorInvalidHandle(Hcs.win32FromHresult(hr)));
        assertEquals(1, dbl.dbl_double_closes(), "the leak checks can fail");
        dbl.dbl_reset();
    }

    @Test
    void pendingCompletionWithFailureCarriesEvents() throws Exception {
        dbl.dbl_script("HcsStartComputeSystem", HcsDouble.PENDING, 0xC0370105, EVENTS, 20, 0);
        try (HcsSystem s = create("c-pending-fail")) {
            SystemError e = assertThrows(SystemError.class, s::start);
            assertTrue(Hcs.isOperationInvalidState(e));
            assertEquals("hcs::System::Start", e.op());
            assertEquals("c-pending-fail", e.id());
            assertEquals(List.of(new ErrorEvent("The container is not running", null, "17d8e2a9", 12345, 0, "vmcompute")),
                    e.events());
            assertTrue(e.getMessage().contains("[Event Detail: The container is not running"), e.getMessage());
        }
    }

    @Test
    void immediateFailureParsesTheResultDocument() throws Exception {
        dbl.dbl_script("HcsPauseComputeSystem", HcsDouble.FAIL, 0xC0370105, EVENTS, 0, 0);
        try (HcsSystem s = create("c-fail")) {
            SystemError e = assertThrows(SystemError.class, s::pause);
            assertTrue(Hcs.isOperationInvalidState(e));
            assertEquals(1, e.events().size());
            assertEquals(12345, e.events().get(0).eventId());
        }
    }

    @Test
    void pendingTimesOut() throws Exception {
        HcsTimeouts.setAll(Duration.ofMillis(200));
        // completes (far) later, as a notification nobody waits for
        dbl.dbl_script("HcsResumeComputeSystem", HcsDouble.PENDING, 0, null, 1500, 0);
        try (HcsSystem s = create("c-timeout")) {
            SystemError e = assertThrows(SystemError.class, s::resume);
            assertTrue(Hcs.isTimeout(e));
            assertFalse(e.timeout(), "hcsshim: ErrTimeout is no net.Error");
            assertSame(Hcs.ERR_TIMEOUT, e.err());
        }
    }

    @Test
    void createTimeoutTerminatesAndReleasesTheHandle() {
        HcsTimeouts.setAll(Duration.ofMillis(200));
        dbl.dbl_script("HcsCreateComputeSystem", HcsDouble.PENDING, 0, null, 1500, 0);
        SystemError e = assertThrows(SystemError.class, () -> create("c-create-timeout"));
        assertTrue(Hcs.isTimeout(e));
        assertEquals("hcs::CreateComputeSystem", e.op());
    }

    @Test
    void exitWhileWaitingIsUnexpectedContainerExit() throws Exception {
        dbl.dbl_script("HcsStartComputeSystem", HcsDouble.PENDING, 0xC0370106, null, 20, Notification.SYSTEM_EXITED);
        try (HcsSystem s = create("c-exit-during-start")) {
            SystemError e = assertThrows(SystemError.class, s::start);
            assertSame(Hcs.ERR_UNEXPECTED_CONTAINER_EXIT, e.err());
            s.waitFor(); // an unexpected exit is no Wait error...
            assertNotNull(s.exitError(), "...but is the ExitError");
            assertTrue(Hcs.ERR_VMCOMPUTE_UNEXPECTED_EXIT.equals(((HcsError) s.exitError()).err()));
        }
    }

    @Test
    void serviceDisconnectAbortsAWait() throws Exception {
        dbl.dbl_script("HcsSaveComputeSystem", HcsDouble.PENDING, 0, null, 20, Notification.SERVICE_DISCONNECT);
        try (HcsSystem s = create("c-disconnect")) {
            SystemError e = assertThrows(SystemError.class, () -> s.save(Map.of("SaveType", "ToFile")));
            assertSame(Hcs.ERR_UNEXPECTED_PROCESS_ABORT, e.err());
            assertEquals("{\"SaveType\":\"ToFile\"}", dbl.lastInput("HcsSaveComputeSystem"));
        }
    }

    @Test
    void systemExitedCompletesWait() throws Exception {
        // terminate answers pending; its SystemExited notification ends Wait cleanly
        dbl.dbl_script("HcsTerminateComputeSystem", HcsDouble.PENDING, 0, null, 30, 0);
        try (HcsSystem s = create("c-terminate")) {
            s.terminate();
            s.stopped().toCompletableFuture().get(10, TimeUnit.SECONDS);
            s.waitFor();
            assertNull(s.waitError());
            assertNull(s.exitError());
        }
    }

    @Test
    void shutdownTreatsAlreadyStoppedAsSuccessButNotOtherErrors() throws Exception {
        dbl.dbl_script("HcsShutdownComputeSystem", HcsDouble.FAIL, 0xC0370110, null, 0, 0);
        dbl.dbl_script("HcsShutdownComputeSystem", HcsDouble.FAIL, 0x80070005, null, 0, 0);
        try (HcsSystem s = create("c-shutdown")) {
            s.shutdown();
            assertTrue(Hcs.isAccessIsDenied(assertThrows(SystemError.class, s::shutdown)));
        }
    }

    @Test
    void closeUnblocksPendingAndWaitingCallers() throws Exception {
        // completion of a type the start does not wait for: start stays pending until close
        dbl.dbl_script("HcsStartComputeSystem", HcsDouble.PENDING, 0, null, 0, Notification.SYSTEM_CRASH_REPORT);
        HcsSystem s = create("c-close");
        CompletableFuture<Throwable> start = CompletableFuture.supplyAsync(() -> {
            try {
                s.start();
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        CompletableFuture<Throwable> waiter = CompletableFuture.supplyAsync(() -> {
            try {
                s.waitFor();
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        assertThrows(java.util.concurrent.TimeoutException.class, () -> start.get(200, TimeUnit.MILLISECONDS));
        s.close();
        Throwable st = start.get(10, TimeUnit.SECONDS);
        assertSame(Hcs.ERR_HANDLE_CLOSE, ((HcsError) st).err());
        assertTrue(Hcs.isAlreadyClosed(waiter.get(10, TimeUnit.SECONDS)));
        assertTrue(Hcs.isAlreadyClosed(s.waitError()));
    }

    @Test
    void immediateCreateFailureLeavesNothingBehind() {
        dbl.dbl_script("HcsCreateComputeSystem", HcsDouble.FAIL, 0xC037010D, EVENTS, 0, 0);
        SystemError e = assertThrows(SystemError.class, () -> create("c-bad-json"));
        assertTrue(Hcs.isNotSupported(e));
        assertEquals("hcs::CreateComputeSystem", e.op());
        assertEquals(1, e.events().size());
    }

    @Test
    void pendingCreateFailureClosesTheHandle() {
        dbl.dbl_script("HcsCreateComputeSystem", HcsDouble.PENDING, 0x80070005, EVENTS, 10, 0);
        SystemError e = assertThrows(SystemError.class, () -> create("c-denied"));
        assertTrue(Hcs.isAccessIsDenied(e));
        assertEquals("The container is not running", e.events().get(0).message());
    }

    @Test
    void openMissingSystemIsNotExist() {
        SystemError e = assertThrows(SystemError.class, () -> HcsSystem.openComputeSystem("nope"));
        assertTrue(Hcs.isNotExist(e));
        assertFalse(Hcs.isAlreadyStopped(e));
    }

    @Test
    void openExistingSystem() throws Exception {
        try (HcsSystem s = create("c-open"); HcsSystem o = HcsSystem.openComputeSystem("c-open")) {
            assertEquals("c-open", o.propertiesV2().id());
        }
    }

    /** Every error code a failing call can bring back, through the HRESULT path. */
    @Test
    void everyPredicateThroughNativeFailures() throws Exception {
        record Case(int hr, Predicate<Throwable> p) {}
        List<Case> cases = List.of(
                new Case(0xC037010E, Hcs::isNotExist),
                new Case(0x80070490, t -> Hcs.isNotExist(t) && Hcs.isAlreadyStopped(t)),
                new Case(0x8007007F, t -> Hcs.isNotExist(t) && Hcs.isAlreadyStopped(t)),
                new Case(0xC0370110, t -> Hcs.isAlreadyStopped(t) && !Hcs.isNotExist(t)),
                new Case(0xC037010D, Hcs::isNotSupported),
                new Case(0x8007000D, Hcs::isNotSupported),
                new Case(0x80070032, Hcs::isNotSupported),
                new Case(0xC037010B, Hcs::isNotSupported),
                new Case(0xC0370105, Hcs::isOperationInvalidState),
                new Case(0x80070005, Hcs::isAccessIsDenied),
                new Case(0x80070006, Hcs::isErrorInvalidHandle));
        try (HcsSystem s = create("c-codes")) {
            for (Case c : cases) {
                dbl.dbl_script("HcsModifyComputeSystem", HcsDouble.FAIL, c.hr, EVENTS, 0, 0);
                SystemError e = assertThrows(SystemError.class, () -> s.modify(Map.of("ResourcePath", "x")));
                assertTrue(c.p.test(e), String.format("0x%08x: %s", c.hr, e));
                assertFalse(Hcs.isPending(e));
                assertEquals(1, e.events().size());
            }
        }
    }

    @Test
    void propertiesAndServiceCalls() throws Exception {
        dbl.dbl_script("HcsEnumerateComputeSystems", HcsDouble.OK, 0,
                "[{\"Id\":\"a\",\"SystemType\":\"Container\",\"RuntimeOsType\":\"Windows\",\"Owner\":\"o\"},{\"Id\":\"b\"}]", 0, 0);
        List<ContainerProperties> l = HcsSystem.getComputeSystems(new ComputeSystemQuery(null, List.of("Container"), null, List.of("o")));
        assertEquals(List.of("a", "b"), l.stream().map(ContainerProperties::id).toList());
        assertEquals("{\"SystemType\":[\"Container\"],\"Owners\":[\"o\"]}", dbl.lastInput("HcsEnumerateComputeSystems"));
        dbl.dbl_script("HcsGetServiceProperties", HcsDouble.OK, 0, "{\"Properties\":[{\"SupportedSchemaVersions\":[{\"Major\":2,\"Minor\":1}]}]}", 0, 0);
        assertEquals(2, HcsSystem.getServiceProperties(new PropertyQuery(List.of("Basic"))).properties().get(0)
                .get("SupportedSchemaVersions").get(0).get("Major").asInt());
        dbl.dbl_script("HcsModifyServiceSettings", HcsDouble.FAIL, 0x80070032, null, 0, 0);
        HcsError e = assertThrows(HcsError.class, () -> HcsSystem.modifyServiceSettings(
                new ModificationRequest("CpuGroup", JSON.readTree("{\"Operation\":\"CreateGroup\"}"))));
        assertTrue(Hcs.isNotSupported(e));
        assertEquals("{\"PropertyType\":\"CpuGroup\",\"Settings\":{\"Operation\":\"CreateGroup\"}}",
                dbl.lastInput("HcsModifyServiceSettings"));
        try (HcsSystem s = create("c-props")) {
            dbl.dbl_script("HcsGetComputeSystemProperties", HcsDouble.OK, 0,
                    "{\"Id\":\"c-props\",\"Statistics\":{\"Processor\":{\"TotalRuntime100ns\":99},\"Memory\":{\"MemoryUsageCommitBytes\":4096}},"
                            + "\"ProcessList\":[{\"ProcessId\":4,\"ImageName\":\"System\"}]}", 0, 0);
            var p = s.propertiesV2("Statistics", "ProcessList");
            assertEquals("{\"PropertyTypes\":[\"Statistics\",\"ProcessList\"]}", dbl.lastInput("HcsGetComputeSystemProperties"));
            assertEquals(99L, p.statistics().processor().totalRuntime100ns());
            assertEquals(4096L, p.statistics().memory().memoryUsageCommitBytes());
            assertEquals("System", p.processList().get(0).imageName());
            dbl.dbl_script("HcsGetComputeSystemProperties", HcsDouble.OK, 0, "{\"Id\":\"c-props\",\"Stopped\":true}", 0, 0);
            assertTrue(s.properties("ProcessList").stopped());
        }
    }

    @Test
    void linuxContainerIsOci() throws Exception {
        dbl.dbl_script("HcsGetComputeSystemProperties", HcsDouble.OK, 0,
                "{\"Id\":\"l\",\"SystemType\":\"Container\",\"RuntimeOsType\":\"Linux\"}", 0, 0);
        try (HcsSystem s = create("l")) {
            assertEquals("linux", s.os());
            assertTrue(s.isOci());
        }
    }

    private static ProcessParameters params(boolean in, boolean out, boolean err) {
        return new ProcessParameters(null, "cmd /c echo hi", null, null, "C:\\", Map.of("A", "1"), null, false, in, out,
                err, null, null, null);
    }

    private static String readAll(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void processRelaysStdioAndReportsExitCode() throws Exception {
        dbl.dbl_next_process("hello from hcs", "oops", 3, HcsDouble.P_EXIT);
        try (HcsSystem s = create("c-proc")) {
            HcsProcess p = s.createProcess(params(false, true, true));
            JsonNode sent = JSON.readTree(dbl.lastInput("HcsCreateProcess"));
            assertEquals("cmd /c echo hi", sent.get("CommandLine").asText());
            assertTrue(sent.get("CreateStdOutPipe").asBoolean());
            assertFalse(sent.has("ApplicationName"), "nulls are omitted");
            assertNull(p.stdin());
            assertEquals("hello from hcs", readAll(p.stdout()));
            assertEquals("oops", readAll(p.stderr()));
            p.waitFor();
            assertEquals(3, p.exitCode());
            assertTrue(p.pid() >= 100);
            assertEquals("c-proc", p.systemId());
            ProcessError e = assertThrows(ProcessError.class, p::kill);
            assertTrue(Hcs.isAlreadyStopped(e));
            p.close();
            p.close();
            assertTrue(Hcs.isAlreadyClosed(assertThrows(ProcessError.class, () -> p.signal(new SignalProcessOptionsWCOW("CtrlC")))));
        }
    }

    @Test
    void closeStdinSendsCloseHandleAndEndsACat() throws Exception {
        dbl.dbl_next_process("", "", 0, HcsDouble.P_CAT);
        try (HcsSystem s = create("c-cat")) {
            HcsProcess p = s.createProcess(params(true, true, false));
            assertNull(p.stderr());
            p.stdin().write("ping".getBytes(StandardCharsets.UTF_8));
            p.closeStdin();
            p.closeStdin(); // idempotent
            assertEquals("{\"Operation\":\"CloseHandle\",\"CloseHandle\":{\"Handle\":\"StdIn\"}}", dbl.lastInput("HcsModifyProcess"));
            assertEquals("ping", readAll(p.stdout()));
            p.waitFor();
            assertEquals(0, p.exitCode());
            p.resizeConsole(120, 40);
            assertEquals("{\"Operation\":\"ConsoleSize\",\"ConsoleSize\":{\"Height\":40,\"Width\":120}}", dbl.lastInput("HcsModifyProcess"));
            p.close();
        }
    }

    @Test
    void killEndsARunningProcessAndSignalSendsOptions() throws Exception {
        dbl.dbl_next_process("", "", 0, HcsDouble.P_RUN);
        try (HcsSystem s = create("c-kill")) {
            HcsProcess p = s.createProcess(params(false, false, false));
            assertTrue(Hcs.ERR_INVALID_PROCESS_STATE == ((HcsError) assertThrows(ProcessError.class, p::exitCode)).err());
            assertTrue(p.signal(new SignalProcessOptionsWCOW("CtrlBreak")));
            assertEquals("{\"Signal\":\"CtrlBreak\"}", dbl.lastInput("HcsSignalProcess"));
            dbl.dbl_script("HcsSignalProcess", HcsDouble.FAIL, 0xC0370105, null, 0, 0);
            assertFalse(p.signal(new SignalProcessOptionsWCOW("CtrlC")), "invalid state means already gone");
            dbl.dbl_script("HcsSignalProcess", HcsDouble.FAIL, 0x80070032, null, 0, 0);
            assertTrue(Hcs.isNotSupported(assertThrows(ProcessError.class, () -> p.signal(Map.of("Signal", 9)))));
            assertTrue(p.kill());
            p.waitFor();
            assertEquals(1, p.exitCode());
            p.close();
        }
    }

    @Test
    void processCloseUnblocksWaiters() throws Exception {
        dbl.dbl_next_process("", "", 0, HcsDouble.P_RUN);
        try (HcsSystem s = create("c-pclose")) {
            HcsProcess p = s.createProcess(params(false, false, false));
            CompletableFuture<Void> w = p.exited().toCompletableFuture();
            assertFalse(w.isDone());
            p.close();
            Throwable t = assertThrows(Exception.class, () -> w.get(10, TimeUnit.SECONDS));
            assertTrue(Hcs.isAlreadyClosed(t));
            assertTrue(Hcs.isAlreadyClosed(assertThrows(ProcessError.class, p::waitFor)));
            // the simulated process is still running: end it so its notification has a home
            dbl.dbl_exit_process(p.pid(), 0);
        }
    }

    @Test
    void openProcessSeesTheExit() throws Exception {
        dbl.dbl_next_process("", "", 0, HcsDouble.P_RUN);
        try (HcsSystem s = create("c-openproc")) {
            HcsProcess p = s.createProcess(params(false, false, false));
            HcsProcess o = s.openProcess(p.pid());
            assertNull(o.stdout());
            dbl.dbl_exit_process(p.pid(), 7);
            p.waitFor();
            assertEquals(7, p.exitCode());
            o.close();
            p.close();
            assertTrue(Hcs.isNotExist(assertThrows(SystemError.class, () -> s.openProcess(99999))));
        }
    }

    @Test
    void cmdRunsThroughTheHcsBinding() throws Exception {
        dbl.dbl_next_process("out-line", "", 0, HcsDouble.P_EXIT);
        try (HcsSystem s = create("c-cmd")) {
            Cmd c = Cmd.command(s, "cmd.exe", "/c", "echo", "out line");
            assertEquals("out-line", new String(c.output(), StandardCharsets.UTF_8));
            JsonNode sent = JSON.readTree(dbl.lastInput("HcsCreateProcess"));
            assertEquals("cmd.exe /c echo \"out line\"", sent.get("CommandLine").asText());
            assertEquals("C:\\", sent.get("WorkingDirectory").asText());
            dbl.dbl_next_process("", "bad", 9, HcsDouble.P_EXIT);
            Cmd c2 = Cmd.command(s, "fail");
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            c2.stderr = err;
            assertEquals(9, assertThrows(ExitError.class, c2::run).exitCode());
            assertEquals("bad", err.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void cmdCopyAfterExitTimeoutCancelsAStuckHcsPipe() throws Exception {
        // exits but never closes stdout, the HCS bug the timeout exists for
        dbl.dbl_next_process("partial", "", 0, HcsDouble.P_EXIT_HANG);
        try (HcsSystem s = create("c-hang")) {
            Cmd c = Cmd.command(s, "x");
            c.copyAfterExitTimeout = Duration.ofMillis(300);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            c.stdout = out;
            c.run();
            assertEquals("partial", out.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void cmdContextKillsAnHcsProcess() throws Exception {
        dbl.dbl_next_process("", "", 0, HcsDouble.P_RUN);
        try (HcsSystem s = create("c-ctx")) {
            CompletableFuture<Void> ctx = new CompletableFuture<>();
            Cmd c = Cmd.commandContext(ctx, s, "ping", "-t", "localhost");
            c.stdout = OutputStream.nullOutputStream();
            c.start();
            ctx.complete(null);
            assertEquals(1, assertThrows(ExitError.class, c::waitFor).exitCode());
        }
    }
}
