package dev.hcsshim.shim;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code <socket>.json} beside a daemon's socket: who it serves, so {@code shimdiag list}
 * can name shims ({@code <namespace>-<id>}) that a hashed socket name cannot.
 */
public record ShimInfo(String namespace, String id, long pid, String address, String grpcAddress, boolean shared) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code shared}: the daemon serves a pod, group or namespace, so its name is that of the task it was started for. */
    static void write(ShimEndpoint endpoint, String namespace, String id, boolean shared) throws IOException {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("namespace", namespace);
        info.put("id", id);
        info.put("pid", ProcessHandle.current().pid());
        info.put("address", endpoint.address());
        info.put("grpcAddress", "unix://" + endpoint.grpcPath());
        info.put("shared", shared);
        Path tmp = endpoint.infoPath().resolveSibling(endpoint.infoPath().getFileName() + ".tmp");
        JSON.writeValue(tmp.toFile(), info);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        Files.move(tmp, endpoint.infoPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    public static ShimInfo read(Path file) throws IOException {
        return JSON.readValue(file.toFile(), ShimInfo.class);
    }

    /** The name shimdiag shows: {@code <namespace>-<id>}. */
    public String name() {
        return namespace + "-" + id;
    }
}
