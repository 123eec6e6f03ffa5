package dev.hcsshim.windows.schema;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** schema2 ServiceProperties: HcsGetServiceProperties' answer. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ServiceProperties(
        @JsonProperty("Properties") java.util.List<com.fasterxml.jackson.databind.JsonNode> properties) {}
