package dev.hcsshim.windows;

import com.sun.jna.WString;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.jna.ptr.PointerByReference;
import dev.hcsshim.hcs.HcsError;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The Host Network Service through vmcompute's HNSCall (JSON in, {"Success","Error","Output"} out). */
public final class Hns {
    private Hns() {}

    /** One HNS request; returns the Output member. */
    public static JsonNode call(String method, String path, String request) throws IOException {
        PointerByReference response = new PointerByReference();
        int hr = Natives.vmcompute().HNSCall(new WString(method), new WString(path), new WString(request == null ? "" : request),
                response);
        String json = HcsCalls.take(response);
        Throwable err = HcsCalls.error(hr);
        if (err != null) throw new HcsError("hns::" + method + " " + path, err, null);
        JsonNode r = json == null ? null : HcsCalls.JSON.readTree(json);
        if (r == null || !r.path("Success").asBoolean(false)) {
            throw new IOException("hns failed in Win32: " + (r == null ? "no response" : r.path("Error").asText()) + " (" + path + ")");
        }
        return r.get("Output");
    }

    /**
     * The endpoints in network namespace {@code netNs} (hcsoci.GetNamespaceEndpoints): the
     * namespace's Endpoint resources, each looked up by id.
     */
    public static List<JsonNode> getNamespaceEndpoints(String netNs) throws IOException {
        JsonNode ns = call("GET", "/namespaces/" + netNs, "");
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode res : ns.path("Resources")) {
            if (!"Endpoint".equals(res.path("Type").asText())) continue;
            String id = res.path("Data").path("Id").asText("");
            if (id.isEmpty()) continue;
            out.add(call("GET", "/endpoints/" + id, ""));
        }
        return out;
    }
}
