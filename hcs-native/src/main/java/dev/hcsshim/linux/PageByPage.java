package dev.hcsshim.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * File mappings that fault in one page at a time. On a fault in a file mapping Linux also maps up
 * to 64 KiB of already cached neighbours ("fault-around"): good for a short process that reads
 * its file in sequence, costly for a long-lived one that touches a large executable sparsely (a
 * native image's code and image heap): the daemon ended up with two to three times its working
 * set mapped. Linux skips fault-around in a range registered with a userfaultfd for write
 * protection, and since 6.7 that protection can be asynchronous: the kernel resolves its faults
 * itself, no thread serves them, and as nothing is ever write-protected no fault waits.
 */
public final class PageByPage implements AutoCloseable {
    private static final LibC C = LibC.INSTANCE;

    // linux/userfaultfd.h: the ioctls (_IOWR, same on x86_64 and aarch64), API version and flags.
    private static final long UFFDIO_API = 0xC018AA3FL, UFFDIO_REGISTER = 0xC020AA00L;
    private static final long UFFD_API = 0xAA, UFFD_FEATURE_WP_ASYNC = 1L << 15, UFFDIO_REGISTER_MODE_WP = 1L << 1;
    private static final long SYS_USERFAULTFD = "aarch64".equals(System.getProperty("os.arch")) ? 282 : 323;

    /** Kept by {@link #ownExecutable}: closing a userfaultfd unregisters its ranges. */
    private static PageByPage forProcess;

    private final int fd;

    private PageByPage(int fd) {
        this.fd = fd;
    }

    /** A userfaultfd with asynchronous write protection; empty where the kernel has none (or refuses it). */
    public static Optional<PageByPage> open() {
        int fd;
        try {
            fd = (int) C.syscall(SYS_USERFAULTFD, LibC.O_CLOEXEC | LibC.O_NONBLOCK);
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            return Optional.empty();
        }
        try (Memory api = new Memory(24)) {
            api.clear();
            api.setLong(0, UFFD_API);
            api.setLong(8, UFFD_FEATURE_WP_ASYNC);
            C.ioctl(fd, UFFDIO_API, api);
            return Optional.of(new PageByPage(fd));
        } catch (LastErrorException e) {
            C.close(fd);
            return Optional.empty();
        }
    }

    /** From now on faults in {@code [start, start + length)} (page-aligned, whole mappings) map one page. */
    public void register(long start, long length) {
        try (Memory register = new Memory(32)) {
            register.clear();
            register.setLong(0, start);
            register.setLong(8, length);
            register.setLong(16, UFFDIO_REGISTER_MODE_WP);
            C.ioctl(fd, UFFDIO_REGISTER, register);
        }
    }

    @Override
    public void close() {
        C.close(fd);
    }

    /**
     * Every mapping of this process's {@code executable}, from now on and for as long as the
     * process lives; then the pages its read-only mappings hold so far are let go: they stay in
     * the page cache and come back one at a time as they are used again. Writable mappings keep
     * theirs (a private page there may hold a write). False, changing nothing, where the kernel
     * cannot.
     */
    public static synchronized boolean ownExecutable(Path executable) throws IOException {
        List<Mapping> mappings = mappingsOf(executable);
        if (forProcess == null) {
            Optional<PageByPage> opened = open();
            if (opened.isEmpty()) {
                return false;
            }
            PageByPage pages = opened.get();
            try {
                for (Mapping m : mappings) {
                    pages.register(m.start, m.end - m.start);
                }
            } catch (LastErrorException e) {
                pages.close(); // unregisters what was registered
                return false;
            }
            forProcess = pages;
        }
        for (Mapping m : mappings) {
            // Read-only with no private page: nothing here differs from the file.
            if (!m.writable && m.anonymousKiB == 0) {
                try {
                    C.madvise(new Pointer(m.start), m.end - m.start, LibC.MADV_DONTNEED);
                } catch (LastErrorException e) {
                    // those pages stay mapped: no harm done
                }
            }
        }
        return true;
    }

    private record Mapping(long start, long end, boolean writable, long anonymousKiB) {}

    /** This process's mappings of {@code file}, from /proc/self/smaps. */
    private static List<Mapping> mappingsOf(Path file) throws IOException {
        String suffix = " " + file;
        List<Mapping> found = new ArrayList<>();
        long start = -1, end = 0;
        boolean writable = false;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && isHex(line, 0, dash)) { // a mapping's first line
                start = line.endsWith(suffix) ? Long.parseUnsignedLong(line, 0, dash, 16) : -1;
                end = start < 0 ? 0 : Long.parseUnsignedLong(line, dash + 1, space, 16);
                writable = line.charAt(space + 2) == 'w';
            } else if (start >= 0 && line.startsWith("Anonymous:")) {
                found.add(new Mapping(start, end, writable, Long.parseLong(line.replaceAll("\\D", ""))));
                start = -1;
            }
        }
        return found;
    }

    private static boolean isHex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }
}
