package dev.hcsshim.shim.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.hcsshim.proto.runhcs.options.Options;
import dev.hcsshim.proto.runhcs.options.Options.DaemonScope;
import dev.hcsshim.proto.runtimeoptions.Options.Builder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What start and the daemon make of the options containerd passes: ctr's, CRI's on Windows and 2.x, CRI's on Linux. */
class RuntimeOptionsTest {
    @TempDir
    Path dir;

    private static byte[] wrapped(Builder wrapper) {
        return Any.newBuilder().setTypeUrl("runtimeoptions.v1.Options").setValue(wrapper.build().toByteString()).build().toByteArray();
    }

    private static byte[] body(String toml) {
        return wrapped(dev.hcsshim.proto.runtimeoptions.Options.newBuilder().setConfigBody(ByteString.copyFromUtf8(toml)));
    }

    @Test
    void nothingOrAnEmptyAnyIsTheDefault() {
        assertEquals(Options.getDefaultInstance(), RuntimeOptions.parse(new byte[0]));
        assertEquals(Options.getDefaultInstance(), RuntimeOptions.parse(Any.getDefaultInstance().toByteArray()));
    }

    @Test
    void runhcsOptionsAreTakenAsTheyAre() {
        Options o = Options.newBuilder().setDaemonScope(DaemonScope.POD).setLogLevel("debug").build();
        byte[] raw = Any.newBuilder().setTypeUrl("containerd.runhcs.v1.Options").setValue(o.toByteString()).build().toByteArray();
        assertEquals(o, RuntimeOptions.parse(raw));
    }

    @Test
    void aTomlBodyTakesGoNamesProtoNamesEnumNamesAndNumbers() {
        Options o = RuntimeOptions.parse(body("""
                TypeUrl = "containerd.runhcs.v1.Options"
                DaemonScope = "namespace"
                daemon_idle_exit_seconds = 30
                CopyAfterExitTimeoutInMs = 4000000000
                Debug = true
                SandboxIsolation = 1
                GPUVHDPath = "/gpu.vhd"
                DefaultContainerAnnotations = { "io.containerd.runhcs.v1.group" = "g", "a.b/c" = "d" }
                """));
        assertEquals(DaemonScope.NAMESPACE, o.getDaemonScope());
        assertEquals(30, o.getDaemonIdleExitSeconds());
        assertEquals(4_000_000_000L, Integer.toUnsignedLong(o.getCopyAfterExitTimeoutInMs()));
        assertTrue(o.getDebug());
        assertEquals(Options.SandboxIsolation.HYPERVISOR, o.getSandboxIsolation());
        assertEquals("/gpu.vhd", o.getGPUVHDPath());
        assertEquals(Map.of("io.containerd.runhcs.v1.group", "g", "a.b/c", "d"), o.getDefaultContainerAnnotationsMap());
    }

    @Test
    void aConfigPathIsReadAndWinsOverTheBody() throws IOException {
        Path file = dir.resolve("runhcs.toml");
        Files.writeString(file, "DaemonScope = \"POD\"\n");
        Options o = RuntimeOptions.parse(wrapped(dev.hcsshim.proto.runtimeoptions.Options.newBuilder()
                .setConfigPath(file.toString()).setConfigBody(ByteString.copyFromUtf8("DaemonScope = \"namespace\""))));
        assertEquals(DaemonScope.POD, o.getDaemonScope());
    }

    @Test
    void anEmptyWrapperIsTheDefault() {
        assertEquals(Options.getDefaultInstance(), RuntimeOptions.parse(wrapped(dev.hcsshim.proto.runtimeoptions.Options.newBuilder())));
    }

    @Test
    void badOptionsAreRefusedWithWhatIsWrong() throws IOException {
        assertRefused("runtime options: unknown option DaemonScop", body("DaemonScop = \"pod\""));
        assertRefused("runtime options: DaemonScope must be one of [DAEMON_SCOPE_DEFAULT, CONTAINER, POD, NAMESPACE]",
                body("DaemonScope = \"cluster\""));
        assertRefused("runtime options: Debug must be true or false", body("Debug = \"yes\""));
        assertRefused("runtime options: DaemonIdleExitSeconds must be an integer from 0 to 4294967295", body("DaemonIdleExitSeconds = -1"));
        assertRefused("runtime options: VmProcessorCount must be an integer from", body("VmProcessorCount = 3000000000"));
        assertRefused("runtime options: DefaultContainerAnnotations.a must be a string", body("DefaultContainerAnnotations = { a = 1 }"));
        assertRefused("runtime options are not valid TOML", body("DaemonScope = "));
        assertRefused("runtime options of type runc.v1.Options (want containerd.runhcs.v1.Options)",
                wrapped(dev.hcsshim.proto.runtimeoptions.Options.newBuilder().setTypeUrl("runc.v1.Options")));
        assertRefused("runtime options file relative.toml is not an absolute path",
                wrapped(dev.hcsshim.proto.runtimeoptions.Options.newBuilder().setConfigPath("relative.toml")));
        Path missing = dir.resolve("missing.toml");
        assertRefused("cannot read runtime options file " + missing,
                wrapped(dev.hcsshim.proto.runtimeoptions.Options.newBuilder().setConfigPath(missing.toString())));
        Path big = dir.resolve("big.toml");
        Files.writeString(big, "# " + "x".repeat(1 << 20) + "\n");
        assertRefused("is larger than 1048576 bytes",
                wrapped(dev.hcsshim.proto.runtimeoptions.Options.newBuilder().setConfigPath(big.toString())));
        assertRefused("unsupported runtime options type runc.v1.Options",
                Any.newBuilder().setTypeUrl("runc.v1.Options").build().toByteArray());
    }

    private static void assertRefused(String message, byte[] raw) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RuntimeOptions.parse(raw));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }
}
