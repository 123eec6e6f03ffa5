package dev.hcsshim.windows.schema;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** schema2 StorageStats. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record StorageStats(
        @JsonProperty("ReadCountNormalized") Long readCountNormalized,
        @JsonProperty("ReadSizeBytes") Long readSizeBytes,
        @JsonProperty("WriteCountNormalized") Long writeCountNormalized,
        @JsonProperty("WriteSizeBytes") Long writeSizeBytes) {}
