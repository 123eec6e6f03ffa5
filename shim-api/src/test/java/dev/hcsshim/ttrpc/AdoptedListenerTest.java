package dev.hcsshim.ttrpc;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.StringValue;
import dev.hcsshim.transport.PipeAddress;
import dev.hcsshim.transport.TtrpcEndpoint;
import io.grpc.Metadata;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.LinuxSocket;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server that adopts a socket another process bound and listens on, as the shim daemon adopts
 * the one its {@code start} hands over: what connected and wrote before is served.
 */
public class AdoptedListenerTest {
    private static final Duration BOUND = Duration.ofSeconds(10);

    @TempDir
    Path tmp;

    @BeforeAll
    static void epoll() {
        Epoll.ensureAvailability();
    }

    private static TtrpcServer server() {
        return TtrpcServer.builder().addService(new TestService().definition()).build();
    }

    /** What start does before it spawns the daemon: bind and listen, nobody accepting yet. */
    public static int listening(Path socket) throws Exception {
        LinuxSocket s = LinuxSocket.newSocketDomain();
        s.bind(new DomainSocketAddress(socket.toString()));
        s.listen(16);
        return s.intValue();
    }

    @Test
    void aCallWaitingInTheBacklogIsServedOnceTheServerAdoptsTheSocket() throws Exception {
        Path socket = tmp.resolve("handed-over.sock");
        int fd = listening(socket);
        try (TtrpcClient client = TtrpcClient.forSocket(socket)) {
            CompletableFuture<StringValue> early = client.call(TestService.ECHO, StringValue.of("early"), (Metadata) null, BOUND);
            assertFalse(early.isDone(), "nothing accepts on the socket yet");

            TtrpcEndpoint endpoint = TtrpcEndpoint.adopt(server(), new PipeAddress.UnixSocket(socket), fd);
            try {
                assertEquals("echo:early", early.get(BOUND.toSeconds(), TimeUnit.SECONDS).getValue());
                assertEquals("echo:later", client.blockingCall(TestService.ECHO, StringValue.of("later"), null, BOUND).getValue());
                assertEquals(0, endpoint.guard().rejectedCount(), "the same uid is served");
            } finally {
                endpoint.shutdown(Duration.ofSeconds(2));
            }
        }
        assertFalse(Files.exists(socket), "the adopted socket's file is removed with the server");
    }
}
