package dev.hcsshim.shim;

import dev.hcsshim.nativeimage.ListenerHandoff;
import dev.hcsshim.nativeimage.NativeImage;
import dev.hcsshim.transport.PipeAddress;
import dev.hcsshim.transport.UnixSockets;
import java.nio.file.Path;

/**
 * Where a shim daemon listens on Linux: a unix socket in a root-only directory, named by the
 * SHA-256 of {@code <containerd address>/<namespace>/<group>} as containerd's own shims do, so the
 * path stays under the 108-byte sun_path limit whatever the ids. The gRPC endpoint sits beside
 * it with a {@code .grpc} suffix and a {@code .json} file names its owner for shimdiag.
 */
public record ShimEndpoint(Path path) {
    /** {@code /run/containerd/runhcs} unless {@code -Dhcsshim.socket.dir} says otherwise (containerd's own shims use /run/containerd/s). */
    public static Path socketDir() {
        return UnixSockets.shimSocketDir();
    }

    public static ShimEndpoint forShim(String containerdAddress, String namespace, String group) {
        return new ShimEndpoint(PipeAddress.linuxShimSocket(socketDir(), containerdAddress, namespace, group).path());
    }

    public static ShimEndpoint at(String address) {
        return new ShimEndpoint(Path.of(address.startsWith("unix://") ? address.substring("unix://".length()) : address));
    }

    /** The address containerd is given: {@code unix:///run/...}. */
    public String address() {
        return "unix://" + path;
    }

    public Path grpcPath() {
        return path.resolveSibling(path.getFileName() + ".grpc");
    }

    public Path infoPath() {
        return path.resolveSibling(path.getFileName() + ".json");
    }

    /**
     * True if something accepts connections on the socket (a stale file refuses them). The
     * executable asks with libc calls compiled into it: {@code start} asks on its way to join a
     * group's daemon, and {@code delete} when a socket file is there.
     */
    public boolean isServing() {
        return NativeImage.inExecutable() ? ListenerHandoff.accepts(path) : UnixSockets.isLive(path);
    }
}
