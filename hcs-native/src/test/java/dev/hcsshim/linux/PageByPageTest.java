package dev.hcsshim.linux;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** Real mappings of a cached file: how much of it one read per 64 KiB maps, with and without. */
@EnabledOnOs(OS.LINUX)
class PageByPageTest {
    private static final int SIZE = 8 << 20, STRIDE = 64 << 10;

    @TempDir
    Path dir;

    @Test
    void aRegisteredMappingGetsOnlyThePagesReadWhereAPlainOneGetsTheirNeighbours() throws IOException {
        Optional<PageByPage> opened = PageByPage.open();
        assertTrue(opened.isPresent(), "needs Linux 6.7+ with userfaultfd (CONFIG_USERFAULTFD, asynchronous write protection) and a seccomp "
                + "profile that allows it: the daemon maps its executable page by page with it");
        Path file = dir.resolve("data");
        Files.write(file, new byte[SIZE]); // written, so in the page cache: what fault-around maps
        try (PageByPage pages = opened.get(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            // Private, as an executable's mappings are (a shared one must be writable to register).
            MappedByteBuffer plain = ch.map(FileChannel.MapMode.PRIVATE, 0, SIZE);
            MappedByteBuffer registered = ch.map(FileChannel.MapMode.PRIVATE, 0, SIZE);
            pages.register(address(registered), SIZE);

            readEvery64KiB(plain);
            readEvery64KiB(registered);

            long reads = SIZE / STRIDE;
            long plainKiB = residentKiB(address(plain));
            long registeredKiB = residentKiB(address(registered));
            assertTrue(plainKiB >= reads * 16, "fault-around maps neighbours here: " + plainKiB + " KiB for " + reads + " reads");
            // One 4 KiB page per read (a kernel mapping a large folio whole may map a little more).
            assertTrue(registeredKiB >= reads * 4 && registeredKiB * 4 <= plainKiB,
                    registeredKiB + " KiB registered against " + plainKiB + " KiB plain for " + reads + " reads");
        }
    }

    private static void readEvery64KiB(MappedByteBuffer buffer) {
        for (int i = 0; i < SIZE; i += STRIDE) {
            buffer.get(i);
        }
    }

    private static long address(MappedByteBuffer buffer) {
        return Pointer.nativeValue(Native.getDirectBufferPointer(buffer));
    }

    /** Rss of this process's mapping that starts at {@code start}. */
    private static long residentKiB(long start) throws IOException {
        String header = Long.toHexString(start) + "-";
        boolean inIt = false;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            if (line.startsWith(header)) {
                inIt = true;
            } else if (inIt && line.startsWith("Rss:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new AssertionError("no mapping at " + header);
    }
}
