package dev.hcsshim.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells when the kernel's OOM killer acts in a process's memory cgroup. cgroup v1: an eventfd
 * registered on {@code memory.oom_control} through {@code cgroup.event_control}; cgroup v2: an
 * inotify watch on {@code memory.events}, whose {@code oom_kill} count is compared. One thread
 * polls every watched fd; nothing is polled on a timer.
 */
public final class OomWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OomWatcher.class);
    private static final LibC C = LibC.INSTANCE;
    private static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");
    private static final short POLLIN = 1;

    private record Watch(int fd, Runnable onOom, Path memoryEvents, long[] lastOomKills) {}

    private final Map<Integer, Watch> watches = new ConcurrentHashMap<>();
    private final int wakeFd;
    private volatile boolean closed;

    public OomWatcher() throws IOException {
        wakeFd = Fds.eventfd();
        Thread.ofPlatform().daemon().name("oom-watcher").stackSize(256 * 1024).start(this::run);
    }

    /**
     * Calls {@code onOom} (on the watcher's thread) every time an OOM kill hits the memory
     * cgroup of {@code pid}. Empty if the process has no memory cgroup we can watch.
     */
    public Optional<AutoCloseable> watch(int pid, Runnable onOom) throws IOException {
        Optional<Watch> w = cgroupV2() ? watchV2(pid, onOom) : watchV1(pid, onOom);
        if (w.isEmpty()) {
            return Optional.empty();
        }
        watches.put(w.get().fd(), w.get());
        Fds.signalEventfd(wakeFd);
        int fd = w.get().fd();
        return Optional.of(() -> {
            if (watches.remove(fd) != null) {
                Fds.signalEventfd(wakeFd);
                Fds.closeQuietly(fd);
            }
        });
    }

    static boolean cgroupV2() {
        return Files.exists(CGROUP_ROOT.resolve("cgroup.controllers"));
    }

    /** The process's cgroup path for a v1 controller, or its v2 path when controller is empty. */
    static Optional<String> cgroupOf(int pid, String controller) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "cgroup"))) {
            String[] f = line.split(":", 3);
            if (f.length == 3 && (controller.isEmpty() ? f[0].equals("0") && f[1].isEmpty()
                    : java.util.Arrays.asList(f[1].split(",")).contains(controller))) {
                return Optional.of(f[2]);
            }
        }
        return Optional.empty();
    }

    private Optional<Watch> watchV1(int pid, Runnable onOom) throws IOException {
        Optional<String> path = cgroupOf(pid, "memory");
        if (path.isEmpty()) {
            return Optional.empty();
        }
        Path dir = CGROUP_ROOT.resolve("memory").resolve(path.get().substring(1));
        int efd = Fds.eventfd();
        int control = -1;
        try {
            control = C.open(dir.resolve("memory.oom_control").toString(), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
            Files.writeString(dir.resolve("cgroup.event_control"), efd + " " + control, StandardCharsets.US_ASCII);
        } catch (IOException | LastErrorException e) {
            Fds.closeQuietly(efd);
            throw new IOException("cannot watch OOM of " + dir + ": " + e.getMessage(), e);
        } finally {
            // The kernel holds its own reference once registered.
            Fds.closeQuietly(control);
        }
        return Optional.of(new Watch(efd, onOom, null, null));
    }

    private Optional<Watch> watchV2(int pid, Runnable onOom) throws IOException {
        Optional<String> path = cgroupOf(pid, "");
        if (path.isEmpty()) {
            return Optional.empty();
        }
        Path events = CGROUP_ROOT.resolve(path.get().substring(1)).resolve("memory.events");
        if (!Files.exists(events)) {
            return Optional.empty();
        }
        int ifd = C.inotify_init1(LibC.IN_NONBLOCK | LibC.IN_CLOEXEC);
        try {
            C.inotify_add_watch(ifd, events.toString(), LibC.IN_MODIFY);
        } catch (LastErrorException e) {
            Fds.closeQuietly(ifd);
            throw new IOException("cannot watch " + events + ": errno " + e.getErrorCode(), e);
        }
        return Optional.of(new Watch(ifd, onOom, events, new long[] {oomKills(events)}));
    }

    private static long oomKills(Path memoryEvents) {
        try {
            for (String line : Files.readAllLines(memoryEvents)) {
                if (line.startsWith("oom_kill ")) {
                    return Long.parseLong(line.substring("oom_kill ".length()).trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            // the cgroup is gone
        }
        return 0;
    }

    private void run() {
        try (Memory buf = new Memory(4096)) {
            while (!closed) {
                Watch[] current = watches.values().toArray(Watch[]::new);
                int[] fds = new int[current.length + 1];
                short[] events = new short[fds.length];
                fds[0] = wakeFd;
                events[0] = POLLIN;
                for (int i = 0; i < current.length; i++) {
                    fds[i + 1] = current[i].fd();
                    events[i + 1] = POLLIN;
                }
                short[] revents = Fds.poll(fds, events, -1);
                if (revents[0] != 0) {
                    Fds.drainEventfd(wakeFd);
                }
                for (int i = 0; i < current.length; i++) {
                    if (revents[i + 1] == 0 || !watches.containsKey(current[i].fd())) {
                        continue;
                    }
                    Watch w = current[i];
                    try {
                        C.read(w.fd(), buf, buf.size()); // consume the eventfd count or inotify events
                    } catch (LastErrorException e) {
                        // EAGAIN: a spurious wake-up
                    }
                    if (w.memoryEvents() != null) {
                        long kills = oomKills(w.memoryEvents());
                        if (kills <= w.lastOomKills()[0]) {
                            continue;
                        }
                        w.lastOomKills()[0] = kills;
                    } else if ((revents[i + 1] & ~POLLIN) != 0) {
                        // The cgroup was removed: the kernel hangs the eventfd up.
                        watches.remove(w.fd());
                        Fds.closeQuietly(w.fd());
                        continue;
                    }
                    try {
                        w.onOom().run();
                    } catch (RuntimeException e) {
                        log.warn("OOM listener failed: {}", e.toString());
                    }
                }
            }
        } catch (IOException e) {
            log.error("OOM watcher stopped: {}", e.toString());
        }
    }

    @Override
    public void close() {
        closed = true;
        Fds.signalEventfd(wakeFd);
    }
}
