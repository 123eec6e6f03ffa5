package dev.hcsshim.shim.windows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hcsshim.proto.types.Mount;
import dev.hcsshim.shim.task.Errdefs;
import dev.hcsshim.windows.schema.ComputeSystem;
import dev.hcsshim.windows.schema.Container;
import dev.hcsshim.windows.schema.Version;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The HCS schema2 document of a process-isolated Windows container, built from an OCI spec.
 * Schema2 (HCS 2.1, Windows Server 2019 and later) rather than schema1: it is what hcsshim sends
 * on every host it still supports, and the only schema our records model.
 */
public final class WcowDocument {
    static final String OWNER = "containerd-shim-runhcs-v1";
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final long MIB = 1024 * 1024;

    private WcowDocument() {}

    /** The parsed bits of config.json the backend needs besides the document. */
    /** {@code networkNamespace}: the HNS namespace the container joins, or "" for none. */
    public record Parsed(ComputeSystem document, JsonNode process, List<String> layerFolders, String networkNamespace) {}

    /**
     * Builds the create document. {@code rootfs} are the task's mounts: containerd's Windows
     * snapshotter hands one {@code windows-layer} mount (scratch as source, parents in
     * {@code parentLayerPaths=[...]}), which takes precedence over {@code windows.layerFolders}.
     */
    public static Parsed build(String id, byte[] configJson, List<Mount> rootfs, ObjectMapper json) throws IOException {
        JsonNode spec;
        try {
            spec = json.readTree(configJson);
        } catch (IOException e) {
            throw Errdefs.invalidArgument("config.json of %s is not valid JSON: %s", id, e.getMessage());
        }
        if (spec == null || !spec.isObject()) throw Errdefs.invalidArgument("config.json of %s is not an object", id);
        JsonNode windows = spec.path("windows");
        if (!windows.isObject()) {
            throw Errdefs.invalidArgument("task %s has no windows section: only Windows containers run on HCS", id);
        }
        if (spec.has("linux")) {
            throw Errdefs.invalidArgument("task %s is a Linux container: LCOW needs a utility VM, not supported", id);
        }
        if (windows.has("hyperv")) {
            throw Errdefs.invalidArgument("task %s asks for Hyper-V isolation: only process isolation is supported", id);
        }
        JsonNode process = spec.path("process");
        if (!process.isObject() || (!process.path("args").isArray() && !process.path("commandLine").isTextual())) {
            throw Errdefs.invalidArgument("task %s has no process args or commandLine", id);
        }

        List<String> layers = layerFolders(id, windows, rootfs, json);
        if (layers.size() < 2) {
            throw Errdefs.invalidArgument("task %s needs at least a base layer and a scratch layer, got %s", id, layers);
        }
        String volume = spec.path("root").path("path").asText("");
        if (volume.isEmpty()) {
            // hcsshim mounts the layers itself (wclayer Activate/PrepareLayer); we expect the caller's volume.
            throw Errdefs.failedPrecondition("task %s: root.path (the mounted scratch volume) is required;"
                    + " mounting windows-layer rootfs is not implemented", id);
        }

        ObjectNode storage = F.objectNode();
        ArrayNode layerArray = storage.putArray("Layers");
        // The last folder is the writable scratch; HCS wants the read-only parents, topmost first.
        for (String parent : layers.subList(0, layers.size() - 1)) {
            layerArray.addObject().put("Id", layerId(parent).toString()).put("Path", parent);
        }
        storage.put("Path", volume);

        List<JsonNode> dirs = new ArrayList<>();
        List<JsonNode> pipes = new ArrayList<>();
        for (JsonNode m : spec.path("mounts")) {
            String type = m.path("type").asText("");
            String source = m.path("source").asText("");
            String dest = m.path("destination").asText("");
            if (!type.isEmpty() && !type.equals("bind")) {
                throw Errdefs.invalidArgument("task %s: mount type %s is not supported on Windows", id, type);
            }
            if (source.isEmpty() || dest.isEmpty()) {
                throw Errdefs.invalidArgument("task %s: mount needs a source and a destination: %s", id, m);
            }
            if (source.toLowerCase(Locale.ROOT).startsWith("\\\\.\\pipe\\")) {
                pipes.add(F.objectNode().put("ContainerPipeName", stripPipePrefix(dest)).put("HostPath", source));
                continue;
            }
            boolean ro = false;
            for (JsonNode o : m.path("options")) ro |= o.asText().equals("ro");
            ObjectNode d = F.objectNode().put("HostPath", source).put("ContainerPath", dest);
            if (ro) d.put("ReadOnly", true);
            dirs.add(d);
        }

        JsonNode res = windows.path("resources");
        ObjectNode memory = null;
        long limit = res.path("memory").path("limit").asLong(0);
        if (limit > 0) memory = F.objectNode().put("SizeInMB", Math.max(1, limit / MIB));
        ObjectNode processor = processor(res.path("cpu"));

        ObjectNode guestOs = spec.path("hostname").asText("").isEmpty() ? null
                : F.objectNode().put("HostName", spec.path("hostname").asText());
        ObjectNode networking = null;
        String netns = windows.path("network").path("networkNamespace").asText("");
        if (!netns.isEmpty()) {
            networking = F.objectNode().put("Namespace", netns);
            networking.put("AllowUnqualifiedDnsQuery", windows.path("network").path("allowUnqualifiedDNSQuery").asBoolean(false));
        }

        Container c = new Container(guestOs, storage, dirs.isEmpty() ? null : dirs, pipes.isEmpty() ? null : pipes,
                memory, processor, networking, null, null, null, null, null);
        ComputeSystem doc = new ComputeSystem(OWNER, new Version(2, 1), null, null, c, null, true);
        return new Parsed(doc, process, layers, netns);
    }

    /** schema2 Processor from OCI WindowsCPUResources; null when nothing is set. */
    static ObjectNode processor(JsonNode cpu) {
        ObjectNode p = F.objectNode();
        if (cpu.path("count").asLong(0) > 0) p.put("Count", cpu.path("count").asLong());
        if (cpu.path("shares").asLong(0) > 0) p.put("Weight", cpu.path("shares").asLong());
        if (cpu.path("maximum").asLong(0) > 0) p.put("Maximum", cpu.path("maximum").asLong());
        return p.isEmpty() ? null : p;
    }

    private static List<String> layerFolders(String id, JsonNode windows, List<Mount> rootfs, ObjectMapper json)
            throws IOException {
        if (rootfs != null && !rootfs.isEmpty()) {
            if (rootfs.size() != 1 || !rootfs.get(0).getType().equals("windows-layer")) {
                throw Errdefs.invalidArgument("task %s: expected one windows-layer rootfs mount, got %s", id,
                        rootfs.stream().map(Mount::getType).toList());
            }
            Mount m = rootfs.get(0);
            List<String> out = new ArrayList<>();
            for (String opt : m.getOptionsList()) {
                if (opt.startsWith("parentLayerPaths=")) {
                    for (JsonNode p : json.readTree(opt.substring("parentLayerPaths=".length()).getBytes(StandardCharsets.UTF_8))) {
                        out.add(p.asText());
                    }
                }
            }
            out.add(m.getSource());
            return out;
        }
        List<String> out = new ArrayList<>();
        for (JsonNode l : windows.path("layerFolders")) out.add(l.asText());
        return out;
    }

    /**
     * A stable id per layer folder. hcsshim asks vmcompute's NameToGuid for it; a name-based UUID
     * is stable the same way (HCS only needs distinct, repeatable ids).
     */
    static UUID layerId(String path) {
        return UUID.nameUUIDFromBytes(path.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
    }

    private static String stripPipePrefix(String dest) {
        String lower = dest.toLowerCase(Locale.ROOT);
        return lower.startsWith("\\\\.\\pipe\\") ? dest.substring("\\\\.\\pipe\\".length()) : dest;
    }
}
