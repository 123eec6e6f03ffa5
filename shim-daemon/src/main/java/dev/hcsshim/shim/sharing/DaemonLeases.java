package dev.hcsshim.shim.sharing;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Closes the race between a shared daemon leaving after its last task and a {@code start} that
 * just chose it. {@code start} joins a live daemon only under a shared lock and leaves a lease
 * file for its task; the daemon decides to leave under the exclusive lock, and only when no
 * live lease is left, unlinking its socket before it lets go. So a start either sees the socket
 * gone (and launches a new daemon) or its lease keeps the daemon until the task is created.
 *
 * <p>One lock file serves every daemon of a socket directory: each daemon locks one byte of it at
 * an offset taken from its socket's name (fcntl record locks, released if the holder dies), so
 * nothing is left per daemon and unrelated daemons rarely contend.
 */
public final class DaemonLeases {
    /** How long a lease holds a daemon for a task containerd has not created yet. */
    public static final Duration LEASE_TTL = Duration.ofSeconds(30);
    private static final String LOCK_FILE = ".daemons.lock";

    private final Path socket;
    private final Duration ttl;

    public DaemonLeases(Path socket) {
        this(socket, LEASE_TTL);
    }

    DaemonLeases(Path socket, Duration ttl) {
        this.socket = socket;
        this.ttl = ttl;
    }

    /** For {@code start}: if the daemon serves (checked under the lock), leases it for task {@code id}. */
    public boolean joinIfServing(String id, BooleanSupplier serving) throws IOException {
        try (FileChannel ch = lockChannel(); FileLock lock = ch.lock(offset(), 1, true)) {
            if (!serving.getAsBoolean()) {
                return false;
            }
            Files.writeString(leaseFile(id), "");
            return true;
        }
    }

    /** Something done on the socket's path that must not interleave with another daemon's. */
    @FunctionalInterface
    public interface PathAction<T> {
        T run() throws IOException, InterruptedException;
    }

    /**
     * For a daemon coming up: binds under the exclusive lock. Two daemons launched at once for
     * one scope would otherwise both bind: the second sees the first's socket before it listens,
     * takes it for stale, unlinks it and binds anew, leaving the first serving nobody.
     */
    public <T> T bindExclusively(PathAction<T> bind) throws IOException, InterruptedException {
        try (FileChannel ch = lockChannel(); FileLock lock = ch.lock(offset(), 1, false)) {
            return bind.run();
        }
    }

    /** For the daemon: task {@code id} was created, its lease has served. */
    public void release(String id) {
        try {
            Files.deleteIfExists(leaseFile(id));
        } catch (IOException e) {
            // expires by itself
        }
    }

    /**
     * For the daemon, when it has no task: under the exclusive lock, if no live lease is left,
     * runs {@code unlink} (which must make the socket refuse new connections) and answers empty;
     * else answers when the last live lease expires, to decide again then.
     */
    public Optional<Instant> leaveUnlessLeased(BooleanSupplier stillIdle, Runnable unlink) throws IOException {
        try (FileChannel ch = lockChannel(); FileLock lock = ch.lock(offset(), 1, false)) {
            Instant now = Instant.now();
            Instant latest = null;
            try (DirectoryStream<Path> leases = Files.newDirectoryStream(socket.getParent(), leasePrefix() + "*")) {
                for (Path lease : leases) {
                    Instant expiry = modified(lease).plus(ttl);
                    if (expiry.isAfter(now)) {
                        latest = latest == null || expiry.isAfter(latest) ? expiry : latest;
                    } else {
                        Files.deleteIfExists(lease);
                    }
                }
            }
            if (latest != null) {
                return Optional.of(latest);
            }
            if (!stillIdle.getAsBoolean()) {
                return Optional.of(now); // a task arrived meanwhile: nothing to do now
            }
            unlink.run();
            return Optional.empty();
        }
    }

    private static Instant modified(Path lease) throws IOException {
        try {
            return ((FileTime) Files.getAttribute(lease, "lastModifiedTime")).toInstant();
        } catch (NoSuchFileException e) {
            return Instant.EPOCH;
        }
    }

    private FileChannel lockChannel() throws IOException {
        // The first start on a host may come before any daemon made the (root-only) directory.
        Files.createDirectories(socket.getParent(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        return FileChannel.open(socket.resolveSibling(LOCK_FILE),
                StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    private long offset() {
        return socket.getFileName().toString().hashCode() & 0x7fffffffL;
    }

    private String leasePrefix() {
        return socket.getFileName() + ".lease-";
    }

    private Path leaseFile(String id) {
        return socket.resolveSibling(leasePrefix() + id);
    }
}
