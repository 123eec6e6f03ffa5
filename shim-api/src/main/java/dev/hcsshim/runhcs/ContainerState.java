package dev.hcsshim.runhcs;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonGetter;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Map;

/** The platform-neutral state of a runhcs container, with runc's JSON names. */
public record ContainerState(
        @JsonProperty("ociVersion") String version,
        @JsonProperty("id") String id,
        @JsonProperty("pid") int initProcessPid,
        @JsonProperty("status") String status,
        @JsonProperty("bundle") String bundle,
        @JsonProperty("rootfs") String rootfs,
        @JsonIgnore Instant created,
        @JsonProperty("annotations") @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, String> annotations,
        @JsonProperty("owner") String owner) {

    /** Go marshals time.Time as RFC 3339 with nanoseconds, which ISO_INSTANT produces. */
    @JsonGetter("created")
    String createdText() {
        return created == null ? "0001-01-01T00:00:00Z" : created.toString();
    }

    @JsonCreator
    static ContainerState fromJson(@JsonProperty("ociVersion") String version, @JsonProperty("id") String id,
            @JsonProperty("pid") int pid, @JsonProperty("status") String status,
            @JsonProperty("bundle") String bundle, @JsonProperty("rootfs") String rootfs,
            @JsonProperty("created") String created, @JsonProperty("annotations") Map<String, String> annotations,
            @JsonProperty("owner") String owner) {
        return new ContainerState(version, id, pid, status, bundle, rootfs,
                created == null ? null : java.time.OffsetDateTime.parse(created).toInstant(), annotations, owner);
    }
}
