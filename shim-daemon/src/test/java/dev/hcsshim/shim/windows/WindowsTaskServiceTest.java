package dev.hcsshim.shim.windows;

import dev.hcsshim.fixtures.HcsDouble;
import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.Message;
import dev.hcsshim.proto.events.TaskExit;
import dev.hcsshim.proto.runhcs.options.Options;
import dev.hcsshim.proto.task.v2.CreateTaskRequest;
import dev.hcsshim.proto.task.v2.CreateTaskResponse;
import dev.hcsshim.proto.task.v2.DeleteRequest;
import dev.hcsshim.proto.task.v2.DeleteResponse;
import dev.hcsshim.proto.task.v2.StartRequest;
import dev.hcsshim.proto.task.v2.WaitRequest;
import dev.hcsshim.proto.task.v2.WaitResponse;
import dev.hcsshim.shim.task.EventSink;
import dev.hcsshim.shim.task.Rpcs;
import dev.hcsshim.shim.task.TaskService;
import dev.hcsshim.windows.HcsTimeouts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The real task service (state machine, events) over the HCS backend and the native double. */
@Timeout(60)
class WindowsTaskServiceTest {
    static HcsDouble dbl;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        dbl = HcsDouble.install();
    }

    record Event(String topic, Message event) {}

    @Test
    void createStartWaitDeleteOnHcs() throws Exception {
        dbl.dbl_reset();
        HcsTimeouts.setAll(Duration.ofSeconds(20));
        List<Event> events = new CopyOnWriteArrayList<>();
        EventSink sink = (topic, e) -> events.add(new Event(topic, e));
        try (UpstreamPipes pipes = new UpstreamPipes(Files.createDirectories(tmp.resolve("s")))) {
            HcsTaskBackend backend = new HcsTaskBackend(pipes.dialer(), Duration.ofSeconds(2), Duration.ofSeconds(10));
            TaskService svc = new TaskService("default", backend, sink, Options.getDefaultInstance(), () -> {});
            Path bundle = HcsTaskBackendTest.bundle(tmp, HcsTaskBackendTest.INIT);
            Map.Entry<String, CompletableFuture<String>> out = pipes.output("init-stdout");

            CreateTaskResponse created = Rpcs.call(svc::create,
                    CreateTaskRequest.newBuilder().setId("wsvc").setBundle(bundle.toString()).setStdout(out.getKey()).build());
            assertEquals(0, created.getPid(), "no HCS process before Start");

            CompletableFuture<WaitResponse> waited = Rpcs.registered(svc::wait, WaitRequest.newBuilder().setId("wsvc").build());

            dbl.dbl_next_process("done\n", "", 7, HcsDouble.P_EXIT);
            int pid = Rpcs.call(svc::start, StartRequest.newBuilder().setId("wsvc").build()).getPid();
            assertTrue(pid > 0);

            assertEquals(7, waited.get(20, TimeUnit.SECONDS).getExitStatus());
            assertEquals("done\n", out.getValue().get(20, TimeUnit.SECONDS), "output relayed before the exit was reported");

            dbl.dbl_script("HcsTerminateComputeSystem", HcsDouble.PENDING, 0, null, 5, 0);
            DeleteResponse deleted = Rpcs.call(svc::delete, DeleteRequest.newBuilder().setId("wsvc").build());
            assertEquals(7, deleted.getExitStatus());
            assertEquals(pid, deleted.getPid());
            assertTrue(svc.tasks().isEmpty());

            assertEquals(List.of("/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"),
                    events.stream().map(Event::topic).toList());
            TaskExit exit = (TaskExit) events.get(2).event();
            assertEquals(7, exit.getExitStatus());
            assertEquals(pid, exit.getPid());
        }
        HcsTaskBackendTest.assertNoLeaks(dbl);
    }
}
