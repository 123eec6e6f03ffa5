package dev.hcsshim.windows.schema;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** guestrequest SignalProcessOptionsLCOW: a Linux signal number. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record SignalProcessOptionsLCOW(
        @JsonProperty("Signal") Integer signal) {}
