package dev.hcsshim.shim.windows;

import dev.hcsshim.shim.diag.DiagHost;
import dev.hcsshim.shim.platform.Platform;
import dev.hcsshim.shim.task.TaskBackend;
import dev.hcsshim.shim.windows.HcsTaskBackend;
import dev.hcsshim.shim.windows.WindowsDiagHost;
import dev.hcsshim.shim.windows.WindowsEndpoint;
import dev.hcsshim.shim.windows.WindowsPipes;
import dev.hcsshim.transport.PipeConnection;
import dev.hcsshim.windows.PipeSecurity;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * HCS behind a protected named pipe (hcsshim's {@code containerd-shim-runhcs-v1} on Windows).
 * Constructed by name from {@link Platform#of}. {@value #PIPE_DIR} names a directory where unix
 * sockets stand for every named pipe, which runs this whole path on Linux against the vmcompute
 * test double.
 */
public final class WindowsPlatform implements Platform {
    public static final String PIPE_DIR = "hcsshim.windows.pipe.dir";
    /** How long output relays may run after their process exited (hcsshim's CopyAfterExitTimeout). */
    private static final Duration COPY_AFTER_EXIT = Duration.ofSeconds(2);
    /** How long delete waits for a terminated compute system to report its stop. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final WindowsPipes pipes;

    public WindowsPlatform() {
        String dir = System.getProperty(PIPE_DIR);
        this.pipes = dir == null || dir.isEmpty() ? WindowsPipes.kernel32() : WindowsPipes.unixSocketsIn(Path.of(dir));
    }

    @Override
    public String name() {
        return "windows";
    }

    /**
     * No session or subreaper to take (HCS owns the container processes). The log goes where
     * containerd reads a Windows shim's log: it dials {@code \\.\pipe\containerd-shim-<ns>-<id>-log},
     * which the daemon serves; until it connects, stderr stays as {@code start} left it.
     */
    @Override
    public void detach(Path bundle, String namespace, String id) {
        String path = PipeSecurity.PIPE_ROOT + "containerd-shim-" + namespace + "-" + id + "-log";
        WindowsPipes.Listener log;
        try {
            log = pipes.listen(path, PipeSecurity.SHIM_SDDL, 1);
        } catch (IOException | RuntimeException e) {
            System.err.println("no log pipe " + path + ": " + e.getMessage());
            return;
        }
        Thread.ofPlatform().daemon().name("log-pipe").start(() -> {
            try {
                PipeConnection reader = log.accept();
                System.setErr(new PrintStream(reader.output(), true, StandardCharsets.UTF_8));
            } catch (IOException e) {
                System.err.println("log pipe " + path + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                log.close(); // one reader, as containerd dials once
            }
        });
    }

    @Override
    public void serving() {
        // nothing to trim: HCS runs the containers, and the JVM's memory is its own
    }

    /**
     * Not yet: a daemon serves the log pipe of the task it was started for only, so a shared
     * daemon's lines after that task's delete reach no reader (containerd dials each task's pipe;
     * serving them all is future work).
     */
    @Override
    public boolean logInto(Path bundle, String namespace, String id) {
        return false;
    }

    /** The pipe to {@code start} is left to close when {@code start} exits; nothing more is written to it. */
    @Override
    public void releaseStdout() {
        System.out.flush();
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
    }

    @Override
    public String address(Path ttrpcSocket, String namespace, String group) {
        return PipeSecurity.shimPipePath(namespace, group);
    }

    @Override
    public Endpoint publish(Path ttrpcSocket, String namespace, String group) throws IOException {
        return WindowsEndpoint.bridge(pipes, namespace, group, ttrpcSocket);
    }

    @Override
    public TaskBackend taskBackend() {
        return new HcsTaskBackend(pipes.dialer(), COPY_AFTER_EXIT, STOP_TIMEOUT);
    }

    @Override
    public void cleanupAfterCrash(String namespace, String id, Path bundle) throws IOException {
        taskBackend().cleanupAfterCrash(namespace, id, bundle);
    }

    @Override
    public DiagHost diagHost(TaskBackend backend) {
        HcsTaskBackend hcs = (HcsTaskBackend) backend;
        return new WindowsDiagHost(pipes.dialer(), hcs::utilityVm);
    }
}
