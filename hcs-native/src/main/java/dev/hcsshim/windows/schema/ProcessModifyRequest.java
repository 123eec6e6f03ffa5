package dev.hcsshim.windows.schema;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** schema2 ProcessModifyRequest (Operation ConsoleSize or CloseHandle). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ProcessModifyRequest(
        @JsonProperty("Operation") String operation,
        @JsonProperty("ConsoleSize") ConsoleSize consoleSize,
        @JsonProperty("CloseHandle") CloseHandle closeHandle) {}
