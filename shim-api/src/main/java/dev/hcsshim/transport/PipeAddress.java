package dev.hcsshim.transport;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Where a shim listens: a Windows named pipe or a unix socket. Pure string/path logic so it
 * loads on any OS. Parses and prints the forms containerd uses
 * ({@code \\.\pipe\...} and {@code unix:///run/...}).
 */
public sealed interface PipeAddress {
    /** Protected pipe prefix the runhcs shim listens under (SYSTEM and Administrators only). */
    String WINDOWS_PIPE_PREFIX = "\\\\.\\pipe\\ProtectedPrefix\\Administrators\\";
    /** Linux directory for shim sockets: root-only, like containerd's own /run/containerd/s. */
    Path DEFAULT_SOCKET_DIR = Path.of("/run/containerd/runhcs");
    /** sun_path is 108 bytes including the terminating NUL. */
    int MAX_UNIX_PATH = 107;

    /** The form containerd prints and parses back. */
    String format();

    record NamedPipe(String path) implements PipeAddress {
        public NamedPipe {
            Objects.requireNonNull(path, "path");
            if (!path.startsWith("\\\\.\\pipe\\")) throw new IllegalArgumentException("not a named pipe path: " + path);
        }

        @Override public String format() { return path; }
        @Override public String toString() { return path; }
    }

    record UnixSocket(Path path) implements PipeAddress {
        public UnixSocket {
            Objects.requireNonNull(path, "path");
            if (!path.isAbsolute()) throw new IllegalArgumentException("unix socket path must be absolute: " + path);
            int len = path.toString().getBytes(StandardCharsets.UTF_8).length;
            if (len > MAX_UNIX_PATH) {
                throw new IllegalArgumentException("unix socket path is " + len + " bytes, over the "
                        + MAX_UNIX_PATH + "-byte sun_path limit: " + path);
            }
        }

        @Override public String format() { return "unix://" + path; }
        @Override public String toString() { return format(); }
    }

    /** Parses {@code unix:///abs/path}, a bare absolute path, or {@code \\.\pipe\name}. */
    static PipeAddress parse(String text) {
        Objects.requireNonNull(text, "address");
        String s = text.trim();
        if (s.startsWith("\\\\.\\pipe\\")) return new NamedPipe(s);
        if (s.startsWith("npipe://")) {
            // containerd also accepts npipe:////./pipe/name; normalise to the backslash form.
            String rest = s.substring("npipe://".length()).replace('/', '\\');
            return new NamedPipe(rest.startsWith("\\\\") ? rest : "\\\\" + rest.replaceFirst("^\\\\+", ""));
        }
        if (s.startsWith("unix://")) return new UnixSocket(Path.of(s.substring("unix://".length())));
        if (s.startsWith("/")) return new UnixSocket(Path.of(s));
        throw new IllegalArgumentException("unsupported address (want unix:///path or \\\\.\\pipe\\name): " + text);
    }

    /** The runhcs shim's pipe: {@code \\.\pipe\ProtectedPrefix\Administrators\containerd-shim-<ns>-<id>-pipe}. */
    static NamedPipe windowsShimPipe(String namespace, String id) {
        requireName("namespace", namespace);
        requireName("id", id);
        return new NamedPipe(WINDOWS_PIPE_PREFIX + "containerd-shim-" + namespace + "-" + id + "-pipe");
    }

    /**
     * The Linux shim socket: {@code <dir>/<hex sha256 of "<containerd address>/<ns>/<id>">}, always
     * short (dir + 65 bytes) whatever the lengths of namespace and id.
     */
    static UnixSocket linuxShimSocket(Path dir, String containerdAddress, String namespace, String id) {
        Objects.requireNonNull(containerdAddress, "containerdAddress");
        requireName("namespace", namespace);
        requireName("id", id);
        try {
            byte[] sum = MessageDigest.getInstance("SHA-256").digest(
                    (containerdAddress + "/" + namespace + "/" + id).getBytes(StandardCharsets.UTF_8));
            return new UnixSocket(dir.toAbsolutePath().resolve(HexFormat.of().formatHex(sum)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("SHA-256 is always present", e);
        }
    }

    private static void requireName(String what, String value) {
        if (value == null || value.isEmpty()) throw new IllegalArgumentException(what + " must not be empty");
    }
}
