package dev.hcsshim.shim;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Where a shim daemon listens on Linux: a unix socket in a root-only directory, named by the
 * SHA-256 of {@code <containerd address>/<namespace>/<group>} as containerd's own shims do, so the
 * path stays under the 108-byte sun_path limit whatever the ids. The gRPC endpoint sits beside
 * it with a {@code .grpc} suffix and a {@code .json} file names its owner for shimdiag.
 */
public record ShimEndpoint(Path path) {
    /** Override with -Dhcsshim.socket.dir (tests) ; containerd's own shims use /run/containerd/s. */
    public static final Path DEFAULT_DIR = Path.of("/run/containerd/runhcs");

    public static Path socketDir() {
        String dir = System.getProperty("hcsshim.socket.dir");
        return dir != null && !dir.isEmpty() ? Path.of(dir) : DEFAULT_DIR;
    }

    public static ShimEndpoint forShim(String containerdAddress, String namespace, String group) {
        return new ShimEndpoint(socketDir().resolve(sha256Hex(containerdAddress + "/" + namespace + "/" + group)));
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
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(path));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static String sha256Hex(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("SHA-256 is always present", e);
        }
    }
}
