package dev.hcsshim.runhcs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hcsshim.transport.PipeDialer;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import static org.junit.jupiter.api.Assertions.*;

@Timeout(30)
class RunHcsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void pipePaths() {
        assertEquals("\\\\.\\pipe\\ProtectedPrefix\\Administrators\\", RunHcs.SAFE_PIPE_PREFIX);
        assertEquals("\\\\.\\pipe\\ProtectedPrefix\\Administrators\\x", RunHcs.safePipePath("x"));
        UUID g = UUID.fromString("0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9");
        assertEquals("\\\\.\\pipe\\ProtectedPrefix\\Administrators\\runhcs-vm-0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
                RunHcs.vmPipePath(g));
        assertArrayEquals(new byte[] {0, 'O', 'K', 0}, RunHcs.shimSuccess());
    }

    @Test
    void vmRequestJson() throws Exception {
        assertEquals("{\"ID\":\"c1\",\"Op\":\"unmount-disk\"}",
                JSON.writeValueAsString(new VMRequest("c1", VMRequestOp.UNMOUNT_CONTAINER_DISK_ONLY)));
        assertEquals(List.of("create", "sync", "unmount", "unmount-disk"),
                java.util.Arrays.stream(VMRequestOp.values()).map(VMRequestOp::wire).toList());
        assertEquals(new VMRequest("c2", VMRequestOp.SYNC_NAMESPACE),
                JSON.readValue("{\"ID\":\"c2\",\"Op\":\"sync\"}", VMRequest.class));
    }

    @Test
    void containerStateJsonNames() throws Exception {
        ContainerState s = new ContainerState("1.0.2", "c1", 77, "running", "/b", "/b/rootfs",
                Instant.parse("2024-05-06T07:08:09.123456789Z"), Map.of("k", "v"), "root");
        String json = JSON.writeValueAsString(s);
        JsonNode n = JSON.readTree(json);
        assertEquals(Set.of("ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "annotations", "owner"),
                keys(n));
        assertEquals("2024-05-06T07:08:09.123456789Z", n.get("created").asText());
        assertEquals(s, JSON.readValue(json, ContainerState.class));
        ContainerState bare = new ContainerState("1", "c", 1, "created", "b", "r", Instant.EPOCH, Map.of(), "o");
        assertFalse(keys(JSON.readTree(JSON.writeValueAsString(bare))).contains("annotations"), "omitempty");
    }

    private static Set<String> keys(JsonNode n) {
        Set<String> s = new TreeSet<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext();) s.add(it.next());
        return s;
    }

    /** A VM shim stand-in on a unix socket: reads one JSON request, answers, closes. */
    private CompletableFuture<JsonNode> serveOnce(Path sock, Function<JsonNode, byte[]> answer) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(sock));
        CompletableFuture<JsonNode> got = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try (server; SocketChannel c = server.accept()) {
                BufferedReader r = new BufferedReader(new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8));
                JsonNode req = JSON.readTree(r.readLine());
                got.complete(req);
                Channels.newOutputStream(c).write(answer.apply(req));
            } catch (Exception e) {
                got.completeExceptionally(e);
            }
        });
        return got;
    }

    private static PipeDialer unixDialer() {
        return PipeDialer.UNIX_SOCKETS;
    }

    @Test
    void issueVMRequestSucceedsOnMarker() throws Exception {
        Path sock = dir.resolve("vm.sock");
        CompletableFuture<JsonNode> got = serveOnce(sock, req -> RunHcs.shimSuccess());
        RunHcs.issueVMRequest(unixDialer(), sock.toString(), new VMRequest("c1", VMRequestOp.CREATE_CONTAINER));
        JsonNode req = got.get(10, TimeUnit.SECONDS);
        assertEquals("c1", req.get("ID").asText());
        assertEquals("create", req.get("Op").asText());
    }

    @Test
    void issueVMRequestReturnsTheShimsErrorText() throws Exception {
        Path sock = dir.resolve("vm.sock");
        serveOnce(sock, req -> ("container " + req.get("ID").asText() + " not found").getBytes(StandardCharsets.UTF_8));
        IOException e = assertThrows(IOException.class, () -> RunHcs.issueVMRequest(unixDialer(), sock.toString(),
                new VMRequest("c9", VMRequestOp.UNMOUNT_CONTAINER)));
        assertEquals("container c9 not found", e.getMessage());
    }

    @Test
    void issueVMRequestWithSilentShimIsUnknownFailure() throws Exception {
        Path sock = dir.resolve("vm.sock");
        serveOnce(sock, req -> new byte[0]);
        IOException e = assertThrows(IOException.class, () -> RunHcs.issueVMRequest(unixDialer(), sock.toString(),
                new VMRequest("c1", VMRequestOp.SYNC_NAMESPACE)));
        assertEquals("unknown shim failure", e.getMessage());
    }

    @Test
    void issueVMRequestToNoListenerFails() {
        assertThrows(IOException.class, () -> RunHcs.issueVMRequest(unixDialer(), dir.resolve("none").toString(),
                new VMRequest("c1", VMRequestOp.CREATE_CONTAINER)));
    }

    @Test
    void getErrorFromPipeKillsAndReapsTheProcessOnError() throws Exception {
        Process p = new ProcessBuilder("sleep", "60").start();
        IOException e = assertThrows(IOException.class,
                () -> RunHcs.getErrorFromPipe(new ByteArrayInputStream("boom".getBytes(StandardCharsets.UTF_8)), p));
        assertEquals("boom", e.getMessage());
        assertFalse(p.isAlive());
        Process q = new ProcessBuilder("sleep", "60").start();
        IOException e2 = assertThrows(IOException.class, () -> RunHcs.getErrorFromPipe(InputStream.nullInputStream(), q));
        assertEquals("unknown shim failure, exit code " + q.exitValue(), e2.getMessage());
        assertFalse(q.isAlive());
    }

    @Test
    void getErrorFromPipeLeavesTheProcessAloneOnSuccess() throws Exception {
        Process p = new ProcessBuilder("sleep", "60").start();
        try {
            RunHcs.getErrorFromPipe(new ByteArrayInputStream(RunHcs.shimSuccess()), p);
            assertTrue(p.isAlive());
        } finally {
            p.destroyForcibly().waitFor();
        }
        assertTrue(Files.isDirectory(dir));
    }
}
