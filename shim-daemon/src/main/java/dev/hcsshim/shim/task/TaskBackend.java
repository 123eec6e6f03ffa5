package dev.hcsshim.shim.task;

import com.google.protobuf.Any;
import dev.hcsshim.process.ExitStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What the task service needs from a platform (hcsshim's shimTask/shimExec split): an OCI
 * runtime on Linux, HCS on Windows. The service keeps the state machines and containerd's
 * rules; a backend only does the work. Errors are thrown as IOException with a message fit for
 * the user, or as a gRPC StatusRuntimeException where the backend knows the containerd class.
 */
public interface TaskBackend {

    /** Mounts the rootfs and creates the compute system with its init process created, not started. */
    Task create(CreateSpec spec) throws IOException;

    /**
     * The type name of the OCI resources Update carries on this platform, as containerd's
     * typeurl registry names it ({@link TypeUrls#LINUX_RESOURCES} or {@link TypeUrls#WINDOWS_RESOURCES}).
     */
    String resourcesType();

    /**
     * containerd's {@code delete} after the shim is gone: force-remove whatever is left of the
     * task (runtime state, mounts). Idempotent; must work on a half-created task.
     */
    void cleanupAfterCrash(String namespace, String id, Path bundle) throws IOException;

    /** One compute system. */
    interface Task {
        Process init();

        /**
         * Calls {@code onOom} whenever the kernel's OOM killer acts in the task (containerd's
         * TaskOOM); a backend that cannot tell does nothing.
         */
        void watchOom(Runnable onOom) throws IOException;

        /** Starts the init process. */
        void start() throws IOException;

        /** Creates and starts an exec process from an OCI process spec (JSON). */
        Process exec(String execId, StdioSpec stdio, byte[] processSpecJson) throws IOException;

        /** Signals the init process, or with {@code all} every process of the task. */
        void kill(int signal, boolean all) throws IOException;

        void pause() throws IOException;

        void resume() throws IOException;

        /** Applies OCI LinuxResources (JSON). */
        void update(byte[] resourcesJson) throws IOException;

        /**
         * What Pids says about an exec's process: a platform's ProcessDetails, of a type the
         * platform's clients can decode (ctr on Linux knows runc's, on Windows runhcs's).
         */
        Any execDetails(String execId, int pid);

        /** Pids of every process in the task. */
        List<Integer> pids() throws IOException;

        /** Metrics as containerd's {@code ctr task metrics} decodes them. */
        Any stats() throws IOException;

        void checkpoint(Path imagePath, Any options) throws IOException;

        /** Removes the compute system and its mounts; the init must have stopped (or never started). */
        void delete() throws IOException;
    }

    /** One process: the init or an exec. */
    interface Process {
        int pid();

        /**
         * Completes once the process has exited and its stdout/stderr relays finished (bounded by
         * the copy-after-exit timeout), so TaskExit is never published before the output.
         */
        java.util.concurrent.CompletionStage<ExitStatus> exited();

        void signal(int signal) throws IOException;

        /** Ends the process's stdin once what the client already wrote is delivered. */
        void closeStdin() throws IOException;

        void resize(int width, int height) throws IOException;

        /** Releases the stdio relays and handles. Idempotent. */
        void close();
    }
}
