package dev.hcsshim.windows;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hcsshim.windows.schema.*;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Every document round-trips and uses HCS's own property names, checked key by key. */
class SchemaJsonTest {
    static final ObjectMapper M = HcsCalls.JSON;

    static Set<String> keys(JsonNode n) {
        Set<String> s = new TreeSet<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext();) s.add(it.next());
        return s;
    }

    static <T> JsonNode roundTrip(T value, Class<T> type, String... expectedKeys) throws Exception {
        String json = M.writeValueAsString(value);
        JsonNode tree = M.readTree(json);
        assertEquals(new TreeSet<>(Set.of(expectedKeys)), keys(tree), type.getSimpleName());
        T back = M.readValue(json, type);
        assertEquals(value, back, type.getSimpleName() + " parses back to itself");
        assertEquals(tree, M.readTree(M.writeValueAsString(back)));
        return tree;
    }

    static JsonNode t(String json) throws Exception {
        return M.readTree(json);
    }

    @Test
    void processParameters() throws Exception {
        roundTrip(new ProcessParameters("app.exe", "app.exe -x", List.of("a"), "ContainerUser", "C:\\", Map.of("K", "V"),
                true, true, true, true, true, List.of(25, 80), true, false), ProcessParameters.class,
                "ApplicationName", "CommandLine", "CommandArgs", "User", "WorkingDirectory", "Environment",
                "RestrictedToken", "EmulateConsole", "CreateStdInPipe", "CreateStdOutPipe", "CreateStdErrPipe",
                "ConsoleSize", "UseExistingLogin", "UseLegacyConsole");
    }

    @Test
    void processModifyRequests() throws Exception {
        JsonNode a = roundTrip(new ProcessModifyRequest("ConsoleSize", new ConsoleSize(24, 80), null),
                ProcessModifyRequest.class, "Operation", "ConsoleSize");
        assertEquals(Set.of("Height", "Width"), keys(a.get("ConsoleSize")));
        JsonNode b = roundTrip(new ProcessModifyRequest("CloseHandle", null, new CloseHandle("StdIn")),
                ProcessModifyRequest.class, "Operation", "CloseHandle");
        assertEquals(Set.of("Handle"), keys(b.get("CloseHandle")));
        roundTrip(new SignalProcessOptionsWCOW("CtrlC"), SignalProcessOptionsWCOW.class, "Signal");
        roundTrip(new SignalProcessOptionsLCOW(15), SignalProcessOptionsLCOW.class, "Signal");
        roundTrip(new ProcessStatus(4, true, 3L, 0L), ProcessStatus.class, "ProcessId", "Exited", "ExitCode", "LastWaitResult");
    }

    @Test
    void computeSystemAndContainer() throws Exception {
        Container c = new Container(t("{\"Type\":\"Windows\"}"), t("{\"Layers\":[]}"), List.of(t("{}")), List.of(t("{}")),
                t("{\"SizeInMB\":1024}"), t("{\"Count\":2}"), t("{\"Namespace\":\"ns\"}"), t("{}"), t("{}"), t("{}"),
                List.of(t("{}")), t("{}"));
        JsonNode cs = roundTrip(new ComputeSystem("containerd-shim", new Version(2, 1), "uvm1", t("{}"), c, t("{}"), true),
                ComputeSystem.class, "Owner", "SchemaVersion", "HostingSystemId", "HostedSystem", "Container",
                "VirtualMachine", "ShouldTerminateOnLastHandleClosed");
        assertEquals(Set.of("Major", "Minor"), keys(cs.get("SchemaVersion")));
        assertEquals(Set.of("GuestOs", "Storage", "MappedDirectories", "MappedPipes", "Memory", "Processor", "Networking",
                "HvSocket", "ContainerCredentialGuard", "RegistryChanges", "AssignedDevices", "AdditionalDeviceNamespace"),
                keys(cs.get("Container")));
    }

    @Test
    void queriesAndProperties() throws Exception {
        roundTrip(new PropertyQuery(List.of("Statistics")), PropertyQuery.class, "PropertyTypes");
        roundTrip(new Schema1PropertyQuery(List.of("Memory")), Schema1PropertyQuery.class, "PropertyTypes");
        roundTrip(new ComputeSystemQuery(List.of("a"), List.of("Container"), List.of("n"), List.of("o")),
                ComputeSystemQuery.class, "Ids", "SystemType", "Names", "Owners");
        Statistics st = new Statistics("2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", 5L, new ProcessorStats(1L, 2L, 3L),
                new MemoryStats(4L, 5L, 6L), new StorageStats(7L, 8L, 9L, 10L));
        JsonNode s = roundTrip(st, Statistics.class, "Timestamp", "ContainerStartTime", "Uptime100ns", "Processor",
                "Memory", "Storage");
        assertEquals(Set.of("TotalRuntime100ns", "RuntimeUser100ns", "RuntimeKernel100ns"), keys(s.get("Processor")));
        assertEquals(Set.of("MemoryUsageCommitBytes", "MemoryUsageCommitPeakBytes", "MemoryUsagePrivateWorkingSetBytes"),
                keys(s.get("Memory")));
        assertEquals(Set.of("ReadCountNormalized", "ReadSizeBytes", "WriteCountNormalized", "WriteSizeBytes"),
                keys(s.get("Storage")));
        ProcessDetails pd = new ProcessDetails(4, "System", "2024-01-01T00:00:00Z", 1L, 2L, 3L, 4L, 5L);
        roundTrip(pd, ProcessDetails.class, "ProcessId", "ImageName", "CreateTimestamp", "UserTime100ns",
                "KernelTime100ns", "MemoryCommitBytes", "MemoryWorkingSetPrivateBytes", "MemoryWorkingSetSharedBytes");
        roundTrip(new Properties("id", "Container", "Windows", "n", "o", "r", "t", "Running", false, "None", t("{}"), st,
                List.of(pd), true, "uvm", t("{}"), t("{}"), t("{}")), Properties.class,
                "Id", "SystemType", "RuntimeOsType", "Name", "Owner", "RuntimeId", "RuntimeTemplateId", "State",
                "Stopped", "ExitType", "Memory", "Statistics", "ProcessList", "TerminateOnLastHandleClosed",
                "HostingSystemId", "SharedMemoryRegionInfo", "GuestConnectionInfo", "Metrics");
        roundTrip(new ContainerProperties("id", "Running", "n", "Container", "Windows", "o", "g", "r", false, "p", false,
                "None", false, "ob", t("{}"), List.of(pd), t("{}"), t("{}")), ContainerProperties.class,
                "Id", "State", "Name", "SystemType", "RuntimeOsType", "Owner", "SiloGuid", "RuntimeId",
                "IsRuntimeTemplate", "RuntimeImagePath", "Stopped", "ExitType", "AreUpdatesPending", "ObRoot",
                "Statistics", "ProcessList", "MappedVirtualDiskControllers", "GuestConnectionInfo");
        roundTrip(new ModificationRequest("CpuGroup", t("{}")), ModificationRequest.class, "PropertyType", "Settings");
        roundTrip(new ServiceProperties(List.of(t("{}"))), ServiceProperties.class, "Properties");
    }

    @Test
    void absentFieldsAreOmittedLikeGoOmitempty() throws Exception {
        assertEquals("{\"CommandLine\":\"x\"}", M.writeValueAsString(
                new ProcessParameters(null, "x", null, null, null, null, null, null, null, null, null, null, null, null)));
    }
}
