package dev.hcsshim.hcs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** One event HCS attaches to a failed operation's result document. */
@JsonInclude(JsonInclude.Include.NON_DEFAULT)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ErrorEvent(
        @JsonProperty("Message") String message,
        @JsonProperty("StackTrace") String stackTrace,
        @JsonProperty("Provider") String provider,
        @JsonProperty("EventId") int eventId,
        @JsonProperty("Flags") long flags,
        @JsonProperty("Source") String source) {

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[Event Detail: ").append(message == null ? "" : message);
        if (stackTrace != null && !stackTrace.isEmpty()) sb.append(" Stack Trace: ").append(stackTrace);
        if (provider != null && !provider.isEmpty()) sb.append(" Provider: ").append(provider);
        if (eventId != 0) sb.append(" EventID: ").append(eventId);
        if (flags != 0) sb.append(" flags: ").append(flags);
        if (source != null && !source.isEmpty()) sb.append(" Source: ").append(source);
        return sb.append(']').toString();
    }
}
