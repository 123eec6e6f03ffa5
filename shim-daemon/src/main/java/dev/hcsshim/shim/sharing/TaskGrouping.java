package dev.hcsshim.shim.sharing;

import dev.hcsshim.shim.task.IdRules;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Which daemon serves a task. A task whose OCI annotations name a sandbox (a pod, in CRI's
 * {@code io.kubernetes.cri.sandbox-id}) or an explicit group ({@value #GROUP_ANNOTATION}) joins
 * the daemon serving that group, as hcsshim serves a whole pod from one shim; anything else gets
 * a daemon of its own. One JVM per pod instead of per container is where a Java shim wins back
 * its weight.
 */
public final class TaskGrouping {
    public static final String SANDBOX_ANNOTATION = "io.kubernetes.cri.sandbox-id";
    public static final String GROUP_ANNOTATION = "io.containerd.runhcs.v1.group";

    /**
     * One parse of a spec per process: no field name is interned or kept in a symbol table
     * (Jackson's defaults, for long-lived parsers of many documents; ~1.5 ms of each start).
     */
    private static final JsonFactory SPEC_JSON = JsonFactory.builder()
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .build();

    private TaskGrouping() {}

    /** The group key for a task: its group annotation, its sandbox id, or its own id. */
    public static String groupOf(String id, Path configJson) throws IOException {
        Map<String, String> annotations = annotations(configJson);
        String group = annotations.get(GROUP_ANNOTATION);
        if (group == null || group.isEmpty()) {
            group = annotations.get(SANDBOX_ANNOTATION);
        }
        if (group == null || group.isEmpty()) {
            return id;
        }
        IdRules.requireValid("group annotation", group);
        return group;
    }

    /** The top-level {@code annotations} of an OCI spec, read with a streaming parser (start must stay light). */
    public static Map<String, String> annotations(Path configJson) throws IOException {
        Map<String, String> out = new HashMap<>();
        if (!Files.exists(configJson)) {
            return out;
        }
        try (JsonParser p = SPEC_JSON.createParser(configJson.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException(configJson + ": not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if ("annotations".equals(field) && value == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String key = p.currentName();
                        p.nextToken();
                        out.put(key, p.getValueAsString());
                    }
                } else {
                    p.skipChildren();
                }
            }
        }
        return out;
    }
}
