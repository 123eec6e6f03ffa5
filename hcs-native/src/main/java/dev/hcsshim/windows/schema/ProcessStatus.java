package dev.hcsshim.windows.schema;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** schema2 ProcessStatus: process properties after exit. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ProcessStatus(
        @JsonProperty("ProcessId") Integer processId,
        @JsonProperty("Exited") Boolean exited,
        @JsonProperty("ExitCode") Long exitCode,
        @JsonProperty("LastWaitResult") Long lastWaitResult) {}
