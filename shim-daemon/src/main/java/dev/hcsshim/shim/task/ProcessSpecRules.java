package dev.hcsshim.shim.task;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Any;
import java.io.IOException;
import java.util.regex.Pattern;

/**
 * What an exec's OCI process spec must be for Exec to accept it, checked at the door so a bad
 * one is InvalidArgument at Exec rather than a runtime failure at Start: a JSON object with
 * {@code args} (or, for Windows, a {@code commandLine}), an absolute {@code cwd} (as runc and the
 * OCI spec require) and user/group ids a kernel can hold (0..2^32-2; 2^32-1 is "no id").
 */
final class ProcessSpecRules {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Absolute on Linux ({@code /...}) or on Windows ({@code C:\...}, {@code \\server\...}). */
    private static final Pattern ABSOLUTE = Pattern.compile("/.*|[A-Za-z]:[\\\\/].*|\\\\\\\\.*", Pattern.DOTALL);
    static final long MAX_ID = 0xFFFF_FFFEL;

    private ProcessSpecRules() {}

    /** The spec's JSON, once it passed every rule; InvalidArgument naming the first it breaks. */
    static byte[] check(String execId, Any spec) {
        String type = spec.getTypeUrl();
        if (!type.isEmpty() && !type.endsWith("/Process")) {
            throw Errdefs.invalidArgument("exec %s: spec must be an OCI process, got %s", execId, type);
        }
        byte[] json = spec.getValue().toByteArray();
        if (json.length == 0) {
            throw Errdefs.invalidArgument("exec %s has no process spec", execId);
        }
        JsonNode process;
        try {
            process = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw Errdefs.invalidArgument("exec %s: process spec is not JSON: %s", execId, e.getOriginalMessage());
        } catch (IOException e) {
            throw Errdefs.invalidArgument("exec %s: process spec is not JSON", execId);
        }
        if (process == null || !process.isObject()) {
            throw Errdefs.invalidArgument("exec %s: process spec must be a JSON object", execId);
        }
        requireCommand(execId, process);
        JsonNode cwd = process.path("cwd");
        if (!cwd.isTextual() || !ABSOLUTE.matcher(cwd.asText()).matches()) {
            throw Errdefs.invalidArgument("exec %s: cwd must be an absolute path, got %s", execId, cwd.isMissingNode() ? "none" : cwd);
        }
        JsonNode user = process.path("user");
        if (!user.isMissingNode() && !user.isNull()) {
            requireId(execId, "user.uid", user.path("uid"));
            requireId(execId, "user.gid", user.path("gid"));
            JsonNode extra = user.path("additionalGids");
            if (!extra.isMissingNode() && !extra.isNull()) {
                if (!extra.isArray()) {
                    throw Errdefs.invalidArgument("exec %s: user.additionalGids must be an array", execId);
                }
                for (JsonNode gid : extra) {
                    requireId(execId, "user.additionalGids", gid);
                }
            }
        }
        JsonNode env = process.path("env");
        if (!env.isMissingNode() && !env.isNull() && !allText(env)) {
            throw Errdefs.invalidArgument("exec %s: env must be an array of strings", execId);
        }
        return json;
    }

    private static void requireCommand(String execId, JsonNode process) {
        JsonNode args = process.path("args");
        JsonNode commandLine = process.path("commandLine");
        boolean hasArgs = args.isArray() && !args.isEmpty() && allText(args) && !args.get(0).asText().isEmpty();
        boolean hasCommandLine = commandLine.isTextual() && !commandLine.asText().isBlank();
        if (!hasArgs && !hasCommandLine) {
            throw Errdefs.invalidArgument("exec %s: process has no args (a non-empty array of strings)", execId);
        }
        if (!args.isMissingNode() && !args.isNull() && !allText(args)) {
            throw Errdefs.invalidArgument("exec %s: args must be an array of strings", execId);
        }
    }

    /** Absent ids default to 0 (root), as in the OCI spec; present ones must fit. */
    private static void requireId(String execId, String field, JsonNode id) {
        if (id.isMissingNode()) {
            return;
        }
        if (!id.isIntegralNumber() || !id.canConvertToLong() || id.asLong() < 0 || id.asLong() > MAX_ID) {
            throw Errdefs.invalidArgument("exec %s: %s must be an id in 0..%d, got %s", execId, field, MAX_ID, id);
        }
    }

    private static boolean allText(JsonNode array) {
        if (!array.isArray()) {
            return false;
        }
        for (JsonNode n : array) {
            if (!n.isTextual()) {
                return false;
            }
        }
        return true;
    }
}
