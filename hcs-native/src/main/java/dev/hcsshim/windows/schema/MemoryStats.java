package dev.hcsshim.windows.schema;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** schema2 MemoryStats. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record MemoryStats(
        @JsonProperty("MemoryUsageCommitBytes") Long memoryUsageCommitBytes,
        @JsonProperty("MemoryUsageCommitPeakBytes") Long memoryUsageCommitPeakBytes,
        @JsonProperty("MemoryUsagePrivateWorkingSetBytes") Long memoryUsagePrivateWorkingSetBytes) {}
