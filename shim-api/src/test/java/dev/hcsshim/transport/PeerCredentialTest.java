package dev.hcsshim.transport;

import static org.junit.jupiter.api.Assertions.*;

import dev.hcsshim.ttrpc.TtrpcServer;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SO_PEERCRED for real: a client running as nobody reaches the socket but is refused. */
class PeerCredentialTest {
    /** Sends a valid ttrpc Echo request (test.Echo/Echo, StringValue "hi") and reports what came back. */
    private static final String CLIENT = """
            import socket, struct, sys
            def ld(field, b): return bytes([field << 3 | 2, len(b)]) + b
            req = ld(1, b"test.Echo") + ld(2, b"Echo") + ld(3, ld(1, b"hi"))
            frame = struct.pack(">IIBB", len(req), 1, 1, 0) + req
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(5)
            try:
                s.connect(sys.argv[1])
            except OSError as e:
                print("CONNECT_FAILED", e); sys.exit(0)
            try:
                s.sendall(frame)
                d = s.recv(65536)
                print("RESPONSE" if d else "CLOSED")
            except (BrokenPipeError, ConnectionResetError):
                print("CLOSED")
            except socket.timeout:
                print("TIMEOUT")
            """;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void openTempDir() throws Exception {
        assertEquals(0, UnixSockets.currentUid(), "this test needs root (to run a client as nobody)");
        // nobody must be able to reach the socket through the filesystem: only SO_PEERCRED stops it
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** The system python: a per-user install (pyenv under /root) is not executable by nobody. */
    private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    private static String runClient(Path socket, boolean asNobody) throws Exception {
        List<String> cmd = asNobody
                ? List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", PYTHON, "-c", CLIENT, socket.toString())
                : List.of(PYTHON, "-c", CLIENT, socket.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "client did not finish");
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        } finally {
            p.destroyForcibly();
        }
    }

    private static ServerServiceDefinition echoService() {
        var echo = dev.hcsshim.ttrpc.TestServices.echo("test.Echo");
        return ServerServiceDefinition.builder(ServiceDescriptor.newBuilder("test.Echo").addMethod(echo.getMethodDescriptor()).build())
                .addMethod(echo).build();
    }

    @Test
    void ttrpcRefusesAnotherUidBeforeReadingAndServesTheOwner() throws Exception {
        Path socket = tmp.resolve("ttrpc/s.sock");
        try (TtrpcEndpoint ep = TtrpcEndpoint.listen(TtrpcServer.builder().addService(echoService()).build(),
                new PipeAddress.UnixSocket(socket), UnixSockets.Access.WORLD_FOR_TESTS)) {
            assertEquals("CLOSED", runClient(socket, true));
            assertEquals(1, ep.guard().rejectedCount());
            assertEquals("RESPONSE", runClient(socket, false));
            assertEquals(1, ep.guard().rejectedCount());
        }
    }

    @Test
    void anAdoptedTtrpcSocketRefusesAnotherUidAndServesTheOwner() throws Exception {
        Path socket = tmp.resolve("adopted/s.sock");
        Files.createDirectories(socket.getParent());
        Files.setPosixFilePermissions(socket.getParent(), PosixFilePermissions.fromString("rwxrwxrwx"));
        int fd = dev.hcsshim.ttrpc.AdoptedListenerTest.listening(socket);
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
        try (TtrpcEndpoint ep = TtrpcEndpoint.adopt(TtrpcServer.builder().addService(echoService()).build(),
                new PipeAddress.UnixSocket(socket), fd)) {
            assertEquals("CLOSED", runClient(socket, true));
            assertEquals(1, ep.guard().rejectedCount());
            assertEquals("RESPONSE", runClient(socket, false));
            assertEquals(1, ep.guard().rejectedCount());
        }
    }

    @Test
    void grpcRefusesAnotherUidAndServesTheOwner() throws Exception {
        Path socket = tmp.resolve("grpc/s.sock");
        try (GrpcEndpoint ep = GrpcEndpoint.builder(new PipeAddress.UnixSocket(socket)).addService(echoService())
                .access(UnixSockets.Access.WORLD_FOR_TESTS).start()) {
            // the owner gets HTTP/2 SETTINGS back; nobody gets nothing at all
            assertEquals("CLOSED", runClient(socket, true));
            assertEquals(1, ep.guard().rejectedCount());
            assertEquals("RESPONSE", runClient(socket, false));
            assertEquals(1, ep.guard().rejectedCount());
        }
    }
}
