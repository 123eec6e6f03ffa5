package dev.hcsshim.runhcs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Map;

/** The platform-neutral state of a runhcs container, with runc's JSON names. */
public record ContainerState(
        @JsonProperty("ociVersion") String version,
        @JsonProperty("id") String id,
        @JsonProperty("pid") int initProcessPid,
        @JsonProperty("status") String status,
        @JsonProperty("bundle") String bundle,
        @JsonProperty("rootfs") String rootfs,
        // Go marshals time.Time as RFC 3339 with nanoseconds, which Instant.toString produces
        @JsonProperty("created") @JsonSerialize(using = ToStringSerializer.class)
        @JsonDeserialize(using = ContainerState.Rfc3339.class) Instant created,
        @JsonProperty("annotations") @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, String> annotations,
        @JsonProperty("owner") String owner) {

    /** Accepts any RFC 3339 offset, not only Z. */
    static final class Rfc3339 extends JsonDeserializer<Instant> {
        @Override
        public Instant deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            return OffsetDateTime.parse(p.getValueAsString()).toInstant();
        }
    }
}
