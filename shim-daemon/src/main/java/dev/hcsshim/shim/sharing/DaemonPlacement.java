package dev.hcsshim.shim.sharing;

import dev.hcsshim.proto.runhcs.options.Options;
import dev.hcsshim.proto.runhcs.options.Options.DaemonScope;
import dev.hcsshim.shim.task.IdRules;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * Which daemon serves a task: its own (container scope), its pod's, its named group's, or its
 * namespace's. The choice is the task's {@value #SCOPE_ANNOTATION} annotation, else its group
 * annotation, else the runtime handler's options ({@code daemon_scope}, or the same annotation in
 * {@code default_container_annotations}, which is what containerd's CRI plugin can carry), else
 * the default: a pod's tasks share the pod's daemon, any other task has its own.
 *
 * <p>The {@link #key} names the daemon's socket. Shared keys carry the build's identity, so a new
 * build installed beside an old one starts daemons of its own while the old ones drain.
 */
public record DaemonPlacement(String key, boolean shared, Duration idleExit) {
    public static final String SCOPE_ANNOTATION = "io.containerd.runhcs.v1.daemon-scope";

    /**
     * Where task {@code id} goes, given its OCI annotations and the handler's runtime options
     * (null when containerd passed none: {@code start} then needs no protobuf at all).
     */
    public static DaemonPlacement of(String id, Map<String, String> annotations, Options options, String buildId) {
        // The default instance says nothing either; asking it for its annotation map would build the
        // options' descriptors, milliseconds of every start.
        boolean given = options != null && options != Options.getDefaultInstance();
        Duration idle = given ? Duration.ofSeconds(Integer.toUnsignedLong(options.getDaemonIdleExitSeconds())) : Duration.ZERO;
        String group = nonEmpty(annotations.get(TaskGrouping.GROUP_ANNOTATION));
        String sandbox = nonEmpty(annotations.get(TaskGrouping.SANDBOX_ANNOTATION));
        String scope = nonEmpty(annotations.get(SCOPE_ANNOTATION));
        if (scope == null && group != null) {
            scope = "group";
        }
        if (scope == null && given && options.getDaemonScope() != DaemonScope.DAEMON_SCOPE_DEFAULT) {
            scope = options.getDaemonScope().name();
        }
        if (scope == null && given) {
            scope = nonEmpty(options.getDefaultContainerAnnotationsMap().get(SCOPE_ANNOTATION));
        }
        if (scope == null) {
            scope = sandbox != null ? "pod" : "container";
        }
        return switch (scope.toLowerCase(Locale.ROOT)) {
            case "container" -> new DaemonPlacement(id, false, idle);
            // A task outside any pod under a pod-scoped handler is a pod of one.
            case "pod" -> sandbox == null ? new DaemonPlacement(id, false, idle)
                    : new DaemonPlacement("p@" + IdRules.requireValid("sandbox id annotation", sandbox) + "@" + buildId, true, idle);
            case "group" -> {
                if (group == null) {
                    throw new IllegalArgumentException(SCOPE_ANNOTATION + "=group needs the annotation " + TaskGrouping.GROUP_ANNOTATION);
                }
                yield new DaemonPlacement("g@" + IdRules.requireValid("group annotation", group) + "@" + buildId, true, idle);
            }
            case "namespace" -> new DaemonPlacement("ns@" + buildId, true, idle);
            default -> throw new IllegalArgumentException("unknown daemon scope " + scope
                    + " (want container, pod, group or namespace)");
        };
    }

    private static String nonEmpty(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
