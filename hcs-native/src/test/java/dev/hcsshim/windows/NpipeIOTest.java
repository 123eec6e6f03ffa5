package dev.hcsshim.windows;

import dev.hcsshim.transport.PipeConnection;
import dev.hcsshim.transport.PipeDialer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.*;

/** NewNpipeIO's contract, with an in-memory dialer standing in for named pipes. */
class NpipeIOTest {
    final List<String> dialed = new ArrayList<>();
    final List<String> closed = new ArrayList<>();

    PipeDialer dialer(String failOn) {
        return path -> {
            if (path.equals(failOn)) throw new IOException("no pipe " + path);
            dialed.add(path);
            return new PipeConnection() {
                final InputStream in = new ByteArrayInputStream(("from " + path).getBytes());
                final OutputStream out = new ByteArrayOutputStream();

                public InputStream input() { return in; }
                public OutputStream output() { return out; }
                public void close() { closed.add(path); }
            };
        };
    }

    @Test
    void opensEachGivenPathAndClosesIdempotently() throws Exception {
        NpipeIO io = NpipeIO.open(dialer(null), "in", "out", "err", false);
        assertEquals(List.of("in", "out", "err"), dialed);
        assertEquals("from in", new String(io.stdin().readAllBytes()));
        assertNotNull(io.stdout());
        assertNotNull(io.stderr());
        assertEquals("err", io.stderrPath());
        io.closeStdin();
        io.closeStdin();
        assertNull(io.stdin());
        assertEquals("in", io.stdinPath(), "the path outlives the stream");
        io.close();
        io.close();
        assertEquals(List.of("in", "out", "err"), closed, "each closed exactly once");
        assertNull(io.stdout());
    }

    @Test
    void terminalHasNoStderr() throws Exception {
        NpipeIO io = NpipeIO.open(dialer(null), "", "out", "err", true);
        assertEquals(List.of("out"), dialed);
        assertTrue(io.terminal());
        assertNull(io.stderr());
        assertEquals("", io.stderrPath());
        assertNull(io.stdin());
        assertEquals("", io.stdinPath());
        io.close();
    }

    @Test
    void failureClosesWhatWasOpened() {
        assertThrows(IOException.class, () -> NpipeIO.open(dialer("err"), "in", "out", "err", false));
        assertEquals(List.of("in", "out"), closed);
    }
}
