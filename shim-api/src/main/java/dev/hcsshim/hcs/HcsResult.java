package dev.hcsshim.hcs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;

/** The result document HCS returns beside an HRESULT: {@code {"Error","ErrorMessage","ErrorEvents"}}. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record HcsResult(
        @JsonProperty("Error") int error,
        @JsonProperty("ErrorMessage") String errorMessage,
        @JsonProperty("ErrorEvents") List<ErrorEvent> errorEvents) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Parses a result document; null or empty input and unparsable text give null. */
    public static HcsResult parse(String json) {
        if (json == null || json.isEmpty()) return null;
        try {
            return JSON.readValue(json, HcsResult.class);
        } catch (Exception e) {
            return null; // hcsshim only logs an unreadable result
        }
    }

    /** The events of a result document, never null. */
    public static List<ErrorEvent> events(String json) {
        HcsResult r = parse(json);
        return r == null || r.errorEvents == null ? List.of() : List.copyOf(r.errorEvents);
    }
}
