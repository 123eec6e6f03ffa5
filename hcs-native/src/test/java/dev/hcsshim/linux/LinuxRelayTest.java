package dev.hcsshim.linux;

import static dev.hcsshim.linux.LinuxTestSupport.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SpliceRelay on plain pipes and files, no container needed. */
class LinuxRelayTest {
    private int fdsBefore;

    @BeforeEach
    void countFds() throws Exception {
        RelayLoop.shared(); // its epoll fd and wake fd live as long as the process
        fdsBefore = Fds.openFdCount();
    }

    @AfterEach
    void noLeaks() throws InterruptedException {
        await("relays to leave the loop", Duration.ofSeconds(10), () -> LinuxTestSupport.relayInterests() == 0);
        await("fds to be closed", Duration.ofSeconds(10), () -> Fds.openFdCount() == fdsBefore);
    }

    /** Writes size deterministic bytes to fd from a thread, then closes it; returns their SHA-256. */
    private static String feed(int fd, long size) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] chunk = new byte[100_000];
        new Random(42).nextBytes(chunk);
        for (long done = 0; done < size; done += chunk.length) sha.update(chunk, 0, (int) Math.min(chunk.length, size - done));
        Thread.ofPlatform().daemon().start(() -> {
            try (OutputStream os = FdStreams.output(fd)) {
                for (long done = 0; done < size; done += chunk.length) os.write(chunk, 0, (int) Math.min(chunk.length, size - done));
            } catch (Exception ignored) {
                // the test fails on the digest
            } finally {
                Fds.closeQuietly(fd);
            }
        });
        return HexFormat.of().formatHex(sha.digest());
    }

    @Test
    void fiftyMegabytesArriveByteIdentical() throws Exception {
        long size = 50L * 1024 * 1024;
        int[] src = Fds.pipe();
        try (Collector sink = new Collector(false)) {
            String expected = feed(src[1], size);
            SpliceRelay r = SpliceRelay.start("50mb", src[0], sink.writeFd);
            assertEquals(size, r.done().get(60, TimeUnit.SECONDS));
            assertFalse(r.usedFallback(), "pipe to pipe must splice");
            sink.closeWriter();
            sink.bytes.get(30, TimeUnit.SECONDS);
            assertEquals(size, sink.read.get());
            assertEquals(expected, sink.sha256());
        } finally {
            Fds.closeQuietly(src[0]);
        }
    }

    @Test
    void slowReaderAppliesBackPressure() throws Exception {
        long size = 8L * 1024 * 1024;
        int[] src = Fds.pipe();
        try (Collector sink = new Collector(false)) {
            sink.allow(0); // the reader consumes nothing until allowed
            feed(src[1], size);
            SpliceRelay r = SpliceRelay.start("slow", src[0], sink.writeFd);
            // copied can exceed what the reader took by at most the sink pipe's capacity
            long cap = 1024L * 1024; // F_SETPIPE_SZ default max; pipes here are 64 KiB
            await("relay to fill the sink pipe", Duration.ofSeconds(10), () -> r.bytesCopied() > 0);
            long heapBefore = usedHeap();
            for (long allowed = 0; allowed < size; allowed += 256 * 1024) {
                long a = allowed;
                assertTrue(r.bytesCopied() - sink.read.get() <= cap,
                        "relay ran ahead of the reader: " + r.bytesCopied() + " vs " + sink.read.get());
                assertFalse(r.done().isDone(), "relay finished while the reader was blocked");
                sink.allow(a + 256 * 1024);
                await("reader to consume", Duration.ofSeconds(10), () -> sink.read.get() >= Math.min(a + 256 * 1024, size));
            }
            assertEquals(size, r.done().get(30, TimeUnit.SECONDS));
            assertTrue(usedHeap() - heapBefore < 32L * 1024 * 1024, "heap grew while relaying");
            sink.allow(Long.MAX_VALUE); // let the reader see EOF
            sink.closeWriter();
            sink.bytes.get(30, TimeUnit.SECONDS);
        } finally {
            Fds.closeQuietly(src[0]);
        }
    }

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    @Test
    void fallsBackToReadWriteForAppendFiles(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("out.log");
        Files.writeString(log, "head\n");
        int out = LibC.INSTANCE.open(log.toString(), LibC.O_WRONLY | LibC.O_CLOEXEC | 0x400 /* O_APPEND */, 0644);
        int[] src = Fds.pipe();
        try {
            byte[] payload = new byte[300_000];
            new Random(7).nextBytes(payload);
            Thread.ofPlatform().daemon().start(() -> {
                try (OutputStream os = FdStreams.output(src[1])) {
                    os.write(payload);
                } catch (Exception ignored) {
                    // checked below
                } finally {
                    Fds.closeQuietly(src[1]);
                }
            });
            SpliceRelay r = SpliceRelay.start("append", src[0], out);
            assertEquals(payload.length, r.done().get(30, TimeUnit.SECONDS));
            assertTrue(r.usedFallback(), "splice into an O_APPEND file must fall back");
            byte[] all = Files.readAllBytes(log);
            assertEquals(5 + payload.length, all.length);
            assertArrayEquals(payload, java.util.Arrays.copyOfRange(all, 5, all.length));
        } finally {
            Fds.closeQuietly(src[0]);
            Fds.closeQuietly(out);
        }
    }

    @Test
    void cancelStopsABlockedRelay() throws Exception {
        int[] src = Fds.pipe();
        try (Collector sink = new Collector(true)) {
            SpliceRelay r = SpliceRelay.start("cancel", src[0], sink.writeFd);
            FdStreams.output(src[1]).write("abc".getBytes());
            await("first bytes", Duration.ofSeconds(10), () -> r.bytesCopied() == 3);
            assertFalse(r.done().isDone(), "writer still open: no EOF yet");
            r.cancel();
            assertThrows(CancellationException.class, () -> r.done().get(5, TimeUnit.SECONDS));
        } finally {
            Fds.closeQuietly(src[0]);
            Fds.closeQuietly(src[1]);
        }
    }

    @Test
    void readerGoneFailsWithEpipe() throws Exception {
        int[] src = Fds.pipe();
        int[] dst = Fds.pipe();
        try {
            Fds.closeQuietly(dst[0]);
            SpliceRelay r = SpliceRelay.start("epipe", src[0], dst[1]);
            FdStreams.output(src[1]).write("x".getBytes());
            ExecutionException e = assertThrows(ExecutionException.class, () -> r.done().get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("EPIPE"), e.getCause().getMessage());
        } finally {
            Fds.closeQuietly(src[0]);
            Fds.closeQuietly(src[1]);
            Fds.closeQuietly(dst[1]);
        }
    }
    @Test
    void aStalledRelayDoesNotHoldUpTheOthers() throws Exception {
        long size = 8L * 1024 * 1024;
        int[] stalledSrc = Fds.pipe();
        int[] flowingSrc = Fds.pipe();
        try (Collector stalledSink = new Collector(false); Collector flowingSink = new Collector(false)) {
            stalledSink.allow(0); // this reader takes nothing: its relay parks on a full pipe
            feed(stalledSrc[1], size);
            SpliceRelay stalled = SpliceRelay.start("stalled", stalledSrc[0], stalledSink.writeFd);
            await("the stalled relay to fill its sink", Duration.ofSeconds(10), () -> stalled.bytesCopied() > 0);

            String expected = feed(flowingSrc[1], size);
            SpliceRelay flowing = SpliceRelay.start("flowing", flowingSrc[0], flowingSink.writeFd);
            assertEquals(size, flowing.done().get(30, TimeUnit.SECONDS));
            flowingSink.closeWriter();
            flowingSink.bytes.get(30, TimeUnit.SECONDS);
            assertEquals(expected, flowingSink.sha256());
            assertFalse(stalled.done().isDone(), "the stalled relay cannot have finished");

            stalledSink.allow(Long.MAX_VALUE);
            assertEquals(size, stalled.done().get(30, TimeUnit.SECONDS));
            stalledSink.closeWriter();
            stalledSink.bytes.get(30, TimeUnit.SECONDS);
        } finally {
            Fds.closeQuietly(stalledSrc[0]);
            Fds.closeQuietly(flowingSrc[0]);
        }
    }

    @Test
    void aHundredRelaysRunOnOneThread() throws Exception {
        int n = 100;
        int[][] src = new int[n][];
        int[][] dst = new int[n][];
        SpliceRelay[] relays = new SpliceRelay[n];
        long threadsBefore = Thread.getAllStackTraces().size();
        try {
            for (int i = 0; i < n; i++) {
                src[i] = Fds.pipe();
                dst[i] = Fds.pipe();
                relays[i] = SpliceRelay.start("r" + i, src[i][0], dst[i][1]);
            }
            assertTrue(Thread.getAllStackTraces().size() - threadsBefore < 5,
                    "relays must not take a thread each: " + (Thread.getAllStackTraces().size() - threadsBefore) + " more");
            assertEquals(1, Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("stdio-relays")).count());
            // every relay is parked on its empty source; feed them in reverse order
            for (int i = n - 1; i >= 0; i--) {
                try (OutputStream os = FdStreams.output(src[i][1])) {
                    os.write(("payload " + i).getBytes());
                }
                Fds.closeQuietly(src[i][1]);
            }
            for (int i = 0; i < n; i++) {
                assertEquals(("payload " + i).length(), relays[i].done().get(10, TimeUnit.SECONDS));
                Fds.closeQuietly(dst[i][1]);
                dst[i][1] = -1;
                assertEquals("payload " + i, new String(FdStreams.input(dst[i][0]).readAllBytes()));
            }
        } finally {
            for (int i = 0; i < n; i++) {
                if (src[i] != null) {
                    Fds.closeQuietly(src[i][0]);
                }
                if (dst[i] != null) {
                    if (dst[i][1] >= 0) {
                        relays[i].close();
                        Fds.closeQuietly(dst[i][1]);
                    }
                    Fds.closeQuietly(dst[i][0]);
                }
            }
        }
    }
}
