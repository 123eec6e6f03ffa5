package dev.hcsshim.windows.schema;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** schema2 ProcessorStats. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ProcessorStats(
        @JsonProperty("TotalRuntime100ns") Long totalRuntime100ns,
        @JsonProperty("RuntimeUser100ns") Long runtimeUser100ns,
        @JsonProperty("RuntimeKernel100ns") Long runtimeKernel100ns) {}
