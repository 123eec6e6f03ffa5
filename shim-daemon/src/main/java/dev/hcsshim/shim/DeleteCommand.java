package dev.hcsshim.shim;

import dev.hcsshim.shim.task.IdRules;
import com.google.protobuf.Timestamp;
import dev.hcsshim.process.ExitStatus;
import dev.hcsshim.proto.task.v2.DeleteResponse;
import dev.hcsshim.shim.platform.Platform;
import dev.hcsshim.shim.sharing.CleanedMarker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code delete}: containerd runs it after every shim exit (and at its own start-up for bundles
 * whose shim is unreachable). It force-removes what may be left of the task, removes a dead
 * daemon's socket, and prints a DeleteResponse on stdout; stderr reaches containerd's log as
 * "cleanup warnings". Idempotent, and fine on a half-created task.
 */
final class DeleteCommand {
    private final ShimFlags flags;
    private final Platform platform;

    DeleteCommand(ShimFlags flags) {
        this(flags, Platforms.current());
    }

    DeleteCommand(ShimFlags flags, Platform platform) {
        this.flags = flags;
        this.platform = platform;
    }

    int run() throws IOException {
        IdRules.requireValid("namespace", flags.namespace());
        IdRules.requireValid("id", flags.id());
        System.setProperty("hcsshim.log.level", "warn");
        Path bundle = flags.bundleDir();
        // Once the daemon's Delete removed the runtime state and mounts, nothing is left to do.
        if (!CleanedMarker.isMarked(bundle)) {
            try {
                platform.cleanupAfterCrash(flags.namespace(), flags.id(), bundle);
            } catch (IOException | RuntimeException e) {
                log().warn("cleanup of {}: {}", flags.id(), e.toString());
            }
        }
        removeDeadEndpoint(flags, bundle);

        // The exit was not observed (the shim is gone): report it as killed, as runc's shim does.
        Instant now = Instant.now();
        DeleteResponse response = DeleteResponse.newBuilder()
                .setPid(initPid(bundle))
                .setExitStatus(ExitStatus.UNKNOWN_STATUS)
                .setExitedAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
                .build();
        response.writeTo(System.out);
        System.out.flush();
        return 0;
    }

    /** The daemon's sockets, if nothing serves on them any more (a grouped daemon may still serve others). */
    private static void removeDeadEndpoint(ShimFlags flags, Path bundle) {
        try {
            Path addressFile = bundle.resolve("address");
            if (!Files.exists(addressFile)) {
                return;
            }
            String address = Files.readString(addressFile, StandardCharsets.UTF_8).trim();
            // A Windows daemon's address is its named pipe, bridged to a private socket named as on Linux.
            ShimEndpoint endpoint = address.startsWith("\\\\")
                    ? ShimEndpoint.forShim(flags.address(), flags.namespace(),
                            StartCommand.placement(flags, bundle, null).key())
                    : ShimEndpoint.at(address);
            if (!endpoint.path().startsWith(ShimEndpoint.socketDir()) || endpoint.isServing()) {
                return;
            }
            Files.deleteIfExists(endpoint.path());
            Files.deleteIfExists(endpoint.grpcPath());
            Files.deleteIfExists(endpoint.infoPath());
        } catch (IOException | RuntimeException e) {
            log().warn("removing dead shim socket: {}", e.toString());
        }
    }

    /** Logging is set up only when there is something to say: a clean delete is on containerd's path. */
    private static Logger log() {
        return LoggerFactory.getLogger(DeleteCommand.class);
    }

    private static int initPid(Path bundle) {
        try {
            return Integer.parseInt(Files.readString(bundle.resolve("init.pid")).trim());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }
}
