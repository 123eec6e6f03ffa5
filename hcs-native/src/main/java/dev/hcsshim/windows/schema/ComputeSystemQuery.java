package dev.hcsshim.windows.schema;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** schema1 ComputeSystemQuery: the filter of HcsEnumerateComputeSystems. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ComputeSystemQuery(
        @JsonProperty("Ids") java.util.List<String> ids,
        @JsonProperty("SystemType") java.util.List<String> types,
        @JsonProperty("Names") java.util.List<String> names,
        @JsonProperty("Owners") java.util.List<String> owners) {}
