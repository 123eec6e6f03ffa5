package dev.hcsshim.windows.schema;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** schema2 ComputeSystem: the create document. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ComputeSystem(
        @JsonProperty("Owner") String owner,
        @JsonProperty("SchemaVersion") Version schemaVersion,
        @JsonProperty("HostingSystemId") String hostingSystemId,
        @JsonProperty("HostedSystem") com.fasterxml.jackson.databind.JsonNode hostedSystem,
        @JsonProperty("Container") Container container,
        @JsonProperty("VirtualMachine") com.fasterxml.jackson.databind.JsonNode virtualMachine,
        @JsonProperty("ShouldTerminateOnLastHandleClosed") Boolean shouldTerminateOnLastHandleClosed) {}
