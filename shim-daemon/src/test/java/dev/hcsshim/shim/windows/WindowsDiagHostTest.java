package dev.hcsshim.shim.windows;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hcsshim.fixtures.HcsDouble;
import dev.hcsshim.proto.runhcs.diag.ExecProcessRequest;
import dev.hcsshim.shim.task.ProcessStatus;
import dev.hcsshim.shim.task.TaskView;
import dev.hcsshim.windows.HcsSystem;
import dev.hcsshim.windows.HcsTimeouts;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Diag exec and share on Windows: into a sandbox's utility VM through ExecInUvm (HCS double), refusals without one. */
@Timeout(60)
class WindowsDiagHostTest {
    static final HcsDouble dbl = HcsDouble.install();

    @TempDir
    Path tmp;

    static final TaskView POD = new TaskView("pod", "/b", 42, ProcessStatus.RUNNING, List.of());

    @Test
    void execIntoAUtilityVmGoesThroughExecInUvm() throws Exception {
        dbl.dbl_reset();
        HcsTimeouts.setAll(Duration.ofSeconds(20));
        try (UpstreamPipes pipes = new UpstreamPipes(Files.createDirectories(tmp.resolve("s")));
                HcsSystem uvm = HcsSystem.createComputeSystem("pod-uvm", Map.of("SchemaVersion", Map.of("Major", 2, "Minor", 1)))) {
            WindowsDiagHost host = new WindowsDiagHost(pipes.dialer(), id -> id.equals("pod") ? uvm : null);
            Map.Entry<String, CompletableFuture<String>> out = pipes.output("diag-uvm-out");
            dbl.dbl_next_process("in the uvm\n", "", 5, HcsDouble.P_EXIT);

            int code = host.exec(ExecProcessRequest.newBuilder().addArgs("cmd").addArgs("/c").addArgs("ver")
                    .setWorkdir("C:\\Windows").setStdout(out.getKey()).build(), POD);

            assertEquals(5, code);
            assertEquals("in the uvm\n", HcsTaskBackendTest.within(out.getValue()));
            JsonNode params = new ObjectMapper().readTree(dbl.lastInput("HcsCreateProcess"));
            assertEquals("C:\\Windows", params.path("WorkingDirectory").asText());
            assertTrue(params.path("CommandLine").asText().startsWith("cmd /c ver"), params.toString());
        }
        HcsTaskBackendTest.assertNoLeaks(dbl);
    }

    @Test
    void withoutAUtilityVmShareIsRefusedAndEmptyArgsAreInvalid() {
        WindowsDiagHost host = new WindowsDiagHost(path -> {
            throw new AssertionError("no pipe may be dialed: " + path);
        }, id -> null);
        StatusRuntimeException share = assertThrows(StatusRuntimeException.class,
                () -> host.share("C:\\data", "C:\\data", true, () -> POD));
        assertEquals(Status.Code.FAILED_PRECONDITION, share.getStatus().getCode());
        StatusRuntimeException exec = assertThrows(StatusRuntimeException.class,
                () -> host.exec(ExecProcessRequest.newBuilder().addArgs("").build(), POD));
        assertEquals(Status.Code.INVALID_ARGUMENT, exec.getStatus().getCode());
    }
}
