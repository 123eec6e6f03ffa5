package dev.hcsshim.windows.schema;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** guestrequest SignalProcessOptionsWCOW: a console control signal (CtrlC, CtrlBreak, ...). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record SignalProcessOptionsWCOW(
        @JsonProperty("Signal") String signal) {}
