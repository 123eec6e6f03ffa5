package dev.hcsshim.shim.linux;

import dev.hcsshim.shim.platform.Platform;
import dev.hcsshim.linux.ExitWatcher;
import dev.hcsshim.shim.diag.DiagHost;
import dev.hcsshim.shim.linux.LinuxDiagHost;
import dev.hcsshim.shim.linux.OciTaskBackend;
import dev.hcsshim.shim.task.TaskBackend;
import java.io.IOException;
import java.nio.file.Path;

/** runc/crun behind a root-only unix socket; the daemon reaps its containers as child subreaper. */
public final class LinuxPlatform implements Platform {

    @Override
    public String name() {
        return "linux";
    }

    @Override
    public void detach(Path bundle, String namespace, String id) {
        Daemonize.detach(bundle.resolve("log"));
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
