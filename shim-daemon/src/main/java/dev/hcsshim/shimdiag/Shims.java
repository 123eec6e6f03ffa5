package dev.hcsshim.shimdiag;

import dev.hcsshim.proto.runhcs.diag.ShimDiagGrpc;
import dev.hcsshim.proto.runhcs.diag.Task;
import dev.hcsshim.proto.runhcs.diag.TasksRequest;
import dev.hcsshim.proto.runhcs.diag.TasksResponse;
import dev.hcsshim.shim.ShimEndpoint;
import dev.hcsshim.shim.ShimInfo;
import dev.hcsshim.ttrpc.TtrpcClient;
import io.grpc.Metadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** The live shim daemons of this runtime: the {@code .json} beside each socket names its owner. */
final class Shims {
    private Shims() {}

    /** Every shim whose socket answers, by name; stale sockets (connection refused) are skipped. */
    static List<ShimInfo> live(Path dir) throws DiagException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<ShimInfo> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).toList()) {
                ShimInfo info;
                try {
                    info = ShimInfo.read(f);
                } catch (IOException e) {
                    continue; // being written or removed right now
                }
                if (info.address() != null && ShimEndpoint.at(info.address()).isServing()) {
                    out.add(info);
                }
            }
        } catch (IOException e) {
            throw new DiagException("cannot read the shim directory " + dir + ": " + e.getMessage());
        }
        out.sort(Comparator.comparing(ShimInfo::name));
        return out;
    }

    /** The shim named {@code name}, or the only one whose name starts with it. */
    static ShimInfo find(Path dir, String name) throws DiagException {
        List<ShimInfo> all = live(dir);
        for (ShimInfo s : all) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        List<ShimInfo> matches = all.stream().filter(s -> s.name().startsWith(name)).toList();
        if (matches.isEmpty()) {
            throw new DiagException("no shim named " + name + " (see `shimdiag list`)");
        }
        if (matches.size() > 1) {
            throw new DiagException("ambiguous shim name " + name + ": matches "
                    + String.join(", ", matches.stream().map(ShimInfo::name).toList()));
        }
        return matches.getFirst();
    }

    /** The ids of the tasks {@code shim} serves; empty if it does not answer (it may be leaving). */
    static List<String> tasksOf(ShimInfo shim) {
        try (TtrpcClient client = TtrpcClient.forAddress(shim.address())) {
            TasksResponse r = client.blockingCall(ShimDiagGrpc.getDiagTasksMethod(), TasksRequest.getDefaultInstance(),
                    new Metadata(), ShimDiagMain.CALL_TIMEOUT);
            return r.getTasksList().stream().map(Task::getId).toList();
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    /** A failure shown to the user as one line. */
    static final class DiagException extends Exception {
        DiagException(String message) {
            super(message);
        }
    }
}
