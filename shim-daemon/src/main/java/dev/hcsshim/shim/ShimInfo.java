package dev.hcsshim.shim;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The {@code <socket>.json} beside a daemon's socket: who it serves, so {@code shimdiag list}
 * can name shims ({@code <namespace>-<id>}) that a hashed socket name cannot.
 */
public record ShimInfo(String namespace, String id, long pid, String address, String grpcAddress, boolean shared) {
    /**
     * Written with Jackson's streaming generator: the daemon writes this while containerd's first
     * Create arrives, and building an ObjectMapper then (~25 ms of class initialisation) competes
     * with it for the CPU. shimdiag reads it with data binding.
     */
    static void write(ShimEndpoint endpoint, String namespace, String id, boolean shared) throws IOException {
        Path tmp = endpoint.infoPath().resolveSibling(endpoint.infoPath().getFileName() + ".tmp");
        try (JsonGenerator json = new JsonFactory().createGenerator(tmp.toFile(), JsonEncoding.UTF8)) {
            json.writeStartObject();
            json.writeStringField("namespace", namespace);
            json.writeStringField("id", id);
            json.writeNumberField("pid", ProcessHandle.current().pid());
            json.writeStringField("address", endpoint.address());
            json.writeStringField("grpcAddress", "unix://" + endpoint.grpcPath());
            json.writeBooleanField("shared", shared);
            json.writeEndObject();
        }
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        Files.move(tmp, endpoint.infoPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    public static ShimInfo read(Path file) throws IOException {
        return Reader.JSON.readValue(file.toFile(), ShimInfo.class);
    }

    private static final class Reader {
        static final ObjectMapper JSON = new ObjectMapper();
    }

    /** The name shimdiag shows: {@code <namespace>-<id>}. */
    public String name() {
        return namespace + "-" + id;
    }
}
