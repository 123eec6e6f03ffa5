package dev.hcsshim.shim.linux;

import dev.hcsshim.shim.platform.Platform;
import dev.hcsshim.linux.ExitWatcher;
import dev.hcsshim.linux.PageByPage;
import dev.hcsshim.nativeimage.NativeImage;
import dev.hcsshim.shim.diag.DiagHost;
import dev.hcsshim.shim.linux.LinuxDiagHost;
import dev.hcsshim.shim.linux.OciTaskBackend;
import dev.hcsshim.shim.task.TaskBackend;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** runc/crun behind a root-only unix socket; the daemon reaps its containers as child subreaper. */
public final class LinuxPlatform implements Platform {
    /** How long a daemon keeps what its start-up mapped. */
    static final Duration SETTLE = Duration.ofSeconds(2);

    @Override
    public String name() {
        return "linux";
    }

    @Override
    public void detach(Path bundle, String namespace, String id) {
        Daemonize.detach(bundle.resolve("log"));
    }

    /**
     * A native daemon lives long and touches its 39 MB executable sparsely, so once its first
     * task's Create and Start are likely done it settles: it collects start-up's garbage and
     * gives the heap's free chunks back (which it keeps otherwise, see the pom), maps the
     * executable page by page and lets go of what start-up mapped (~41 → ~22 MiB for a daemon
     * of ten tasks). Done at once, the pages Create and Start use would fault back one by one on
     * containerd's path.
     */
    @Override
    public void serving() {
        if (!NativeImage.inExecutable()) {
            return; // a JVM's code and heap are not in the java launcher's file
        }
        Thread.ofVirtual().name("settle").start(() -> {
            // (no static logger here: delete, which loads this class too, sets logging up only to warn)
            Logger log = LoggerFactory.getLogger(LinuxPlatform.class);
            try {
                Thread.sleep(SETTLE);
                try {
                    NativeImage.collectReleasingFreeChunks();
                } catch (RuntimeException e) { // an image without the option: it keeps them
                    log.warn("the heap keeps its free chunks: {}", e.toString());
                }
                boolean done = PageByPage.ownExecutable(NativeImage.executable());
                log.debug(done ? "executable mapped page by page"
                        : "no asynchronous userfaultfd write protection (Linux 6.7+): the executable stays mapped 64 KiB at a time");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException | RuntimeException e) {
                log.debug("executable stays mapped 64 KiB at a time: {}", e.toString());
            }
        });
    }

    @Override
    public boolean logInto(Path bundle, String namespace, String id) {
        return Daemonize.logInto(bundle.resolve("log"));
    }

    @Override
    public void releaseStdout() {
        Daemonize.releaseStdout();
    }

    @Override
    public String address(Path ttrpcSocket, String namespace, String group) {
        return "unix://" + ttrpcSocket;
    }

    /** containerd dials the ttrpc socket itself. */
    @Override
    public Endpoint publish(Path ttrpcSocket, String namespace, String group) {
        return new SocketEndpoint(address(ttrpcSocket, namespace, group));
    }

    private record SocketEndpoint(String address) implements Endpoint {
        @Override
        public void close() {
            // the ttrpc endpoint removes its own socket
        }
    }

    @Override
    public TaskBackend taskBackend() {
        return new OciTaskBackend(ExitWatcher.shared());
    }

    /** Without the exit watcher: {@code delete} starts no reaper thread. */
    @Override
    public void cleanupAfterCrash(String namespace, String id, Path bundle) throws IOException {
        new OciTaskBackend(null).cleanupAfterCrash(namespace, id, bundle);
    }

    @Override
    public DiagHost diagHost(TaskBackend backend) {
        return new LinuxDiagHost();
    }
}
