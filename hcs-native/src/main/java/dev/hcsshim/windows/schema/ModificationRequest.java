package dev.hcsshim.windows.schema;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** schema2 ModificationRequest: HcsModifyServiceSettings' document. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModificationRequest(
        @JsonProperty("PropertyType") String propertyType,
        @JsonProperty("Settings") com.fasterxml.jackson.databind.JsonNode settings) {}
