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
import java.util.Map;
import java.util.TreeMap;
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

    /**
     * What {@code name} stands for: a shim ({@code <namespace>-<id>} of the task it was started
     * for), or a task of a shared daemon ({@code <namespace>-<task id>}), named whole or by a
     * unique prefix. Shim names win, so a daemon of one task keeps its meaning (exec on the host).
     */
    static Target find(Path dir, String name) throws DiagException {
        List<ShimInfo> all = live(dir);
        for (ShimInfo s : all) {
            if (s.name().equals(name)) {
                // a shared daemon is named after the task it was started for: that task is meant
                return new Target(s, s.shared() ? s.id() : "");
            }
        }
        Map<String, Target> candidates = new TreeMap<>();
        for (ShimInfo s : all) {
            candidates.put(s.name(), new Target(s, ""));
            for (String task : tasksOf(s)) {
                candidates.putIfAbsent(s.namespace() + "-" + task, new Target(s, task));
            }
        }
        Target exact = candidates.get(name);
        if (exact != null) {
            return exact;
        }
        List<String> matches = candidates.keySet().stream().filter(n -> n.startsWith(name)).toList();
        if (matches.isEmpty()) {
            throw new DiagException("no shim or task named " + name + " (see `shimdiag list`)");
        }
        if (matches.size() > 1) {
            throw new DiagException("ambiguous name " + name + ": matches " + String.join(", ", matches));
        }
        return candidates.get(matches.getFirst());
    }

    /** A daemon, and the task of it a command is for (empty: the daemon's sandbox, or its host). */
    record Target(ShimInfo shim, String taskId) {}

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
