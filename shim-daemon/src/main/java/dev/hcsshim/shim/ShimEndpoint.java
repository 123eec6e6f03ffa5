package dev.hcsshim.shim;

import java.nio.file.Path;
import dev.hcsshim.transport.PipeAddress;
import dev.hcsshim.transport.UnixSockets;

/**
 * Where a shim daemon listens on Linux: a unix socket in a root-only directory, named by the
 * SHA-256 of {@code <containerd address>/<namespace>/<group>} as containerd's own shims do, so the
 * path stays under the 108-byte sun_path limit whatever the ids. The gRPC endpoint sits beside
 * it with a {@code .grpc} suffix and a {@code .json} file names its owner for shimdiag.
 */
public record ShimEndpoint(Path path) {
    /** Override with -Dhcsshim.socket.dir (tests); containerd's own shims use /run/containerd/s. */
    public static final Path DEFAULT_DIR = PipeAddress.DEFAULT_SOCKET_DIR;

    public static Path socketDir() {
        String dir = System.getProperty("hcsshim.socket.dir");
        return dir != null && !dir.isEmpty() ? Path.of(dir) : DEFAULT_DIR;
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

    /** True if something accepts connections on the socket (a stale file refuses them). */
    public boolean isServing() {
        return UnixSockets.isLive(path);
    }
}
