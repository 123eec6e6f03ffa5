package dev.hcsshim.proto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor.Type;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.Timestamp;
import dev.hcsshim.proto.cgroups.v1.Metrics;
import dev.hcsshim.proto.events.TaskCreate;
import dev.hcsshim.proto.events.TaskDelete;
import dev.hcsshim.proto.events.TaskExit;
import dev.hcsshim.proto.events.TaskIO;
import dev.hcsshim.proto.events.TaskOOM;
import dev.hcsshim.proto.events.TaskStart;
import dev.hcsshim.proto.runhcs.diag.ShimDiagGrpc;
import dev.hcsshim.proto.runhcs.options.Options;
import dev.hcsshim.proto.runhcs.options.ProcessDetails;
import dev.hcsshim.proto.runhcs.stats.Statistics;
import dev.hcsshim.proto.services.events.v1.Envelope;
import dev.hcsshim.proto.services.events.v1.EventsGrpc;
import dev.hcsshim.proto.services.events.v1.ForwardRequest;
import dev.hcsshim.proto.task.v2.CreateTaskRequest;
import dev.hcsshim.proto.task.v2.DeleteResponse;
import dev.hcsshim.proto.task.v2.StateResponse;
import dev.hcsshim.proto.task.v2.TaskGrpc;
import dev.hcsshim.proto.types.Mount;
import dev.hcsshim.proto.types.task.ProcessInfo;
import dev.hcsshim.proto.types.task.Status;
import io.grpc.MethodDescriptor;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Guards the wire facts other modules (and containerd) depend on: proto full names that go into
 * Any type URLs, ttrpc method paths, field numbers/types, and bytes captured from real Go peers.
 */
class WireContractTest {

    private static final HexFormat HEX = HexFormat.ofDelimiter(" ");

    @Test
    void fullNamesUsedAsTypeUrls() {
        // containerd 1.6's typeurl uses the bare full name (no "type.googleapis.com/" prefix).
        Map<String, Descriptor> expected = Map.ofEntries(
                Map.entry("containerd.task.v2.CreateTaskRequest", CreateTaskRequest.getDescriptor()),
                Map.entry("containerd.task.v2.DeleteResponse", DeleteResponse.getDescriptor()),
                Map.entry("containerd.events.TaskCreate", TaskCreate.getDescriptor()),
                Map.entry("containerd.events.TaskStart", TaskStart.getDescriptor()),
                Map.entry("containerd.events.TaskDelete", TaskDelete.getDescriptor()),
                Map.entry("containerd.events.TaskExit", TaskExit.getDescriptor()),
                Map.entry("containerd.events.TaskOOM", TaskOOM.getDescriptor()),
                Map.entry("containerd.events.TaskExecAdded",
                        dev.hcsshim.proto.events.TaskExecAdded.getDescriptor()),
                Map.entry("containerd.events.TaskExecStarted",
                        dev.hcsshim.proto.events.TaskExecStarted.getDescriptor()),
                Map.entry("containerd.events.TaskPaused", dev.hcsshim.proto.events.TaskPaused.getDescriptor()),
                Map.entry("containerd.events.TaskResumed", dev.hcsshim.proto.events.TaskResumed.getDescriptor()),
                Map.entry("containerd.events.TaskCheckpointed",
                        dev.hcsshim.proto.events.TaskCheckpointed.getDescriptor()),
                Map.entry("containerd.services.events.ttrpc.v1.Envelope", Envelope.getDescriptor()),
                Map.entry("containerd.types.Mount", Mount.getDescriptor()),
                Map.entry("containerd.types.Metric", dev.hcsshim.proto.types.Metric.getDescriptor()),
                Map.entry("containerd.v1.types.ProcessInfo", ProcessInfo.getDescriptor()),
                Map.entry("containerd.runhcs.v1.Options", Options.getDescriptor()),
                Map.entry("containerd.runhcs.v1.ProcessDetails", ProcessDetails.getDescriptor()),
                Map.entry("containerd.runhcs.stats.v1.Statistics", Statistics.getDescriptor()),
                Map.entry("io.containerd.cgroups.v1.Metrics", Metrics.getDescriptor()),
                Map.entry("io.containerd.cgroups.v2.Metrics", dev.hcsshim.proto.cgroups.v2.Metrics.getDescriptor()));
        expected.forEach((name, d) -> assertEquals(name, d.getFullName()));
        assertEquals("containerd.v1.types.Status", Status.getDescriptor().getFullName());
        assertEquals("containerd.runhcs.v1.Options.SandboxIsolation",
                Options.SandboxIsolation.getDescriptor().getFullName());
    }

    @Test
    void taskServiceHasAll17MethodPaths() {
        List<String> expected = List.of("State", "Create", "Start", "Delete", "Pids", "Pause", "Resume",
                "Checkpoint", "Kill", "Exec", "ResizePty", "CloseIO", "Update", "Wait", "Stats", "Connect",
                "Shutdown").stream().map(m -> "containerd.task.v2.Task/" + m).toList();
        List<String> actual = TaskGrpc.getServiceDescriptor().getMethods().stream()
                .map(MethodDescriptor::getFullMethodName).toList();
        assertEquals(expected, actual);
        assertEquals("containerd.task.v2.Task", TaskGrpc.SERVICE_NAME);
        assertEquals("containerd.task.v2.Task/Create", TaskGrpc.getCreateMethod().getFullMethodName());

        ServiceDescriptor task = dev.hcsshim.proto.task.v2.ShimProto.getDescriptor().findServiceByName("Task");
        assertEquals("google.protobuf.Empty", task.findMethodByName("Kill").getOutputType().getFullName());
        assertEquals("containerd.task.v2.WaitResponse", task.findMethodByName("Wait").getOutputType().getFullName());
    }

    @Test
    void eventsAndDiagMethodPaths() {
        assertEquals(List.of("containerd.services.events.ttrpc.v1.Events/Forward"),
                EventsGrpc.getServiceDescriptor().getMethods().stream()
                        .map(MethodDescriptor::getFullMethodName).toList());
        assertEquals(List.of("DiagExecInHost", "DiagStacks", "DiagTasks", "DiagShare", "DiagPid").stream()
                        .map(m -> "containerd.runhcs.v1.diag.ShimDiag/" + m).toList(),
                ShimDiagGrpc.getServiceDescriptor().getMethods().stream()
                        .map(MethodDescriptor::getFullMethodName).toList());
    }

    @Test
    void keyFieldNumbersAndTypes() {
        assertField(CreateTaskRequest.getDescriptor(), "rootfs", 3, Type.MESSAGE, "containerd.types.Mount");
        assertField(CreateTaskRequest.getDescriptor(), "options", 10, Type.MESSAGE, "google.protobuf.Any");
        assertField(CreateTaskRequest.getDescriptor(), "parent_checkpoint", 9, Type.STRING, null);
        assertField(StateResponse.getDescriptor(), "status", 4, Type.ENUM, "containerd.v1.types.Status");
        assertField(StateResponse.getDescriptor(), "exec_id", 11, Type.STRING, null);
        assertField(DeleteResponse.getDescriptor(), "exited_at", 3, Type.MESSAGE, "google.protobuf.Timestamp");
        assertField(TaskExit.getDescriptor(), "exit_status", 4, Type.UINT32, null);
        assertField(TaskExit.getDescriptor(), "exited_at", 5, Type.MESSAGE, "google.protobuf.Timestamp");
        assertField(TaskCreate.getDescriptor(), "io", 4, Type.MESSAGE, "containerd.events.TaskIO");
        assertField(TaskDelete.getDescriptor(), "id", 5, Type.STRING, null);
        assertField(Envelope.getDescriptor(), "timestamp", 1, Type.MESSAGE, "google.protobuf.Timestamp");
        assertField(Envelope.getDescriptor(), "namespace", 2, Type.STRING, null);
        assertField(Envelope.getDescriptor(), "topic", 3, Type.STRING, null);
        assertField(Envelope.getDescriptor(), "event", 4, Type.MESSAGE, "google.protobuf.Any");
        assertField(ForwardRequest.getDescriptor(), "envelope", 1, Type.MESSAGE,
                "containerd.services.events.ttrpc.v1.Envelope");
        assertField(Options.getDescriptor(), "sandbox_isolation", 6, Type.ENUM,
                "containerd.runhcs.v1.Options.SandboxIsolation");
        assertField(Options.getDescriptor(), "GPUVHDPath", 10, Type.STRING, null);
        assertField(Options.getDescriptor(), "NCProxyAddr", 15, Type.STRING, null);
        assertField(Options.getDescriptor(), "log_level", 16, Type.STRING, null);
        assertField(Options.getDescriptor(), "scrub_logs", 20, Type.BOOL, null);
        assertField(Statistics.getDescriptor(), "linux", 2, Type.MESSAGE, "io.containerd.cgroups.v1.Metrics");
        assertField(Statistics.getDescriptor(), "vm", 3, Type.MESSAGE,
                "containerd.runhcs.stats.v1.VirtualMachineStatistics");
        assertField(dev.hcsshim.proto.cgroups.v2.Metrics.getDescriptor(), "memory", 4, Type.MESSAGE,
                "io.containerd.cgroups.v2.MemoryStat");

        assertEquals(0, Options.DebugType.NPIPE_VALUE);
        assertEquals(2, Options.DebugType.ETW_VALUE);
        assertEquals(1, Options.SandboxIsolation.HYPERVISOR_VALUE);
        assertEquals(2, Status.RUNNING_VALUE);
        assertEquals(5, Status.PAUSING_VALUE);
    }

    private static void assertField(Descriptor msg, String name, int number, Type type, String typeName) {
        FieldDescriptor f = msg.findFieldByName(name);
        assertTrue(f != null, msg.getFullName() + " has no field " + name);
        assertEquals(number, f.getNumber(), msg.getFullName() + "." + name);
        assertEquals(type, f.getType(), msg.getFullName() + "." + name);
        if (typeName != null) {
            String actual = type == Type.ENUM ? f.getEnumType().getFullName() : f.getMessageType().getFullName();
            assertEquals(typeName, actual, msg.getFullName() + "." + name);
        }
    }

    @Test
    void decodesDeleteResponseFromRuncShim() throws Exception {
        // First 7 bytes captured from containerd 1.6's runc shim; the exited_at trailer carries an
        // illustrative time (2023-04-12T11:46:40.123456789Z).
        byte[] wire = HEX.parseHex("08 f9 92 01 10 89 01 1a 0b 08 a0 b4 da a1 06 10 95 9a ef 3a");
        DeleteResponse r = DeleteResponse.parseFrom(wire);
        assertEquals(18809, r.getPid());
        assertEquals(137, r.getExitStatus());
        assertTrue(r.hasExitedAt());
        assertEquals(1681300000L, r.getExitedAt().getSeconds());
        assertEquals(123456789, r.getExitedAt().getNanos());
        assertTrue(r.getUnknownFields().asMap().isEmpty());
        assertArrayEquals(wire, r.toByteArray());

        byte[] built = DeleteResponse.newBuilder().setPid(18809).setExitStatus(137)
                .setExitedAt(Timestamp.newBuilder().setSeconds(1681300000L).setNanos(123456789)).build()
                .toByteArray();
        assertEquals(HEX.formatHex(wire), HEX.formatHex(built));
    }

    @Test
    void goZeroTimeArrivesAsYearOne() throws Exception {
        // gogoproto non-nullable stdtime: a Go zero time.Time is always sent, as seconds -62135596800.
        byte[] wire = HEX.parseHex("08 01 1a 0b 08 80 92 b8 c3 98 fe ff ff ff 01");
        DeleteResponse r = DeleteResponse.parseFrom(wire);
        assertEquals(-62135596800L, r.getExitedAt().getSeconds());
        assertArrayEquals(wire, r.toByteArray());
    }

    @Test
    void optionsRoundTrip() throws Exception {
        Options o = Options.newBuilder()
                .setDebug(true)
                .setDebugType(Options.DebugType.ETW)
                .setSandboxPlatform("linux/amd64")
                .setSandboxIsolation(Options.SandboxIsolation.HYPERVISOR)
                .setBootFilesRootPath("C:\\ContainerPlat\\LinuxBootFiles")
                .setVmProcessorCount(4)
                .setVmMemorySizeInMb(2048)
                .setGPUVHDPath("C:\\gpu.vhd")
                .setNCProxyAddr("\\\\.\\pipe\\ncproxy")
                .setLogLevel("debug")
                .setIoRetryTimeoutInSec(30)
                .putDefaultContainerAnnotations("io.microsoft.virtualmachine.computetopology.memory.allowovercommit",
                        "true")
                .setScrubLogs(true)
                .build();
        byte[] bytes = o.toByteArray();
        assertEquals(o, Options.parseFrom(bytes));

        // A few bytes pinned by hand: debug (1, varint) then debug_type ETW (2, varint 2).
        assertEquals("08 01 10 02", HEX.formatHex(bytes, 0, 4));

        // As containerd sends it: bare type URL, so parse the value rather than Any.unpack().
        Any fromContainerd = Any.newBuilder().setTypeUrl("containerd.runhcs.v1.Options")
                .setValue(o.toByteString()).build();
        assertEquals(Options.getDescriptor().getFullName(), fromContainerd.getTypeUrl());
        assertEquals(o, Options.parseFrom(fromContainerd.getValue()));
    }

    @Test
    void taskCreateEventCarriesMountsAndIo() throws Exception {
        TaskCreate ev = TaskCreate.newBuilder().setContainerId("c1").setBundle("/b")
                .addRootfs(Mount.newBuilder().setType("windows-layer").setSource("C:\\l").addOptions("rw"))
                .setIo(TaskIO.newBuilder().setStdout("\\\\.\\pipe\\out").setTerminal(true))
                .setPid(42).build();
        Envelope env = Envelope.newBuilder().setNamespace("k8s.io").setTopic("/tasks/create")
                .setEvent(Any.newBuilder().setTypeUrl(TaskCreate.getDescriptor().getFullName())
                        .setValue(ev.toByteString()))
                .build();
        ForwardRequest req = ForwardRequest.parseFrom(
                ForwardRequest.newBuilder().setEnvelope(env).build().toByteArray());
        assertEquals(ev, TaskCreate.parseFrom(req.getEnvelope().getEvent().getValue()));
        assertEquals("containerd.events.TaskCreate", req.getEnvelope().getEvent().getTypeUrl());
    }
}
