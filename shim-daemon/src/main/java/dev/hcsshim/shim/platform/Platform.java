package dev.hcsshim.shim.platform;

import dev.hcsshim.shim.diag.DiagHost;
import dev.hcsshim.shim.task.TaskBackend;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Everything the shim does differently per platform, chosen once per process: how the daemon
 * detaches and logs, where containerd dials it, the compute backend, the cleanup {@code delete}
 * runs after a crash, and what diag exec/share do. Linux runs an OCI runtime behind a unix socket;
 * Windows drives HCS behind a protected named pipe.
 *
 * <p>The implementations live with their platform ({@code shim.linux.LinuxPlatform},
 * {@code shim.windows.WindowsPlatform}); {@code dev.hcsshim.shim.Platforms} picks one. The Windows
 * one is only ever reached by class name, so a Linux JVM loads none of the Windows classes (their
 * JNA bindings cannot load there), and nothing on the Windows path calls libc, {@code nsenter}
 * or the exit watcher.
 */
public interface Platform {
    /** Forces a platform ({@code linux} or {@code windows}) whatever the OS: tests run the Windows path on Linux. */
    String PROPERTY = "hcsshim.platform";

    /** {@code linux} or {@code windows}. */
    String name();

    /**
     * Turns the freshly started {@code serve} process (its options already read from stdin) into a
     * daemon: out of containerd's session, its log where containerd reads shim logs.
     */
    void detach(Path bundle, String namespace, String id);

    /**
     * Points the daemon's log at where containerd reads task {@code id}'s shim log (a shared
     * daemon follows its live tasks); false when containerd no longer reads that one.
     */
    boolean logInto(Path bundle, String namespace, String id);

    /** After the readiness line: the stdout pipe {@code start} reads is let go. */
    void releaseStdout();

    /** The daemon serves (after the readiness line): it may now trim what its start-up needed. */
    void serving();

    /** The address containerd is told for a daemon whose ttrpc server listens on {@code ttrpcSocket}. */
    String address(Path ttrpcSocket, String namespace, String group);

    /** Makes the ttrpc server on {@code ttrpcSocket} reachable where containerd dials ({@link #address}). */
    Endpoint publish(Path ttrpcSocket, String namespace, String group) throws IOException;

    /** The compute backend the task service drives. */
    TaskBackend taskBackend();

    /**
     * {@code delete} after the daemon is gone: force-removes what is left of the task. Idempotent,
     * fine on a half-created task and on one that left nothing.
     */
    void cleanupAfterCrash(String namespace, String id, Path bundle) throws IOException;

    /** What diag exec and share do for tasks of {@code backend}. */
    DiagHost diagHost(TaskBackend backend);

    /** Where containerd dials a daemon; closing it stops accepting there. */
    interface Endpoint extends AutoCloseable {
        String address();

        @Override
        void close() throws IOException;
    }
}
