package dev.hcsshim.windows.schema;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** schema1 ContainerProperties: what HcsEnumerateComputeSystems and schema-1 property queries return. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ContainerProperties(
        @JsonProperty("Id") String id,
        @JsonProperty("State") String state,
        @JsonProperty("Name") String name,
        @JsonProperty("SystemType") String systemType,
        @JsonProperty("RuntimeOsType") String runtimeOsType,
        @JsonProperty("Owner") String owner,
        @JsonProperty("SiloGuid") String siloGuid,
        @JsonProperty("RuntimeId") String runtimeId,
        @JsonProperty("IsRuntimeTemplate") Boolean isRuntimeTemplate,
        @JsonProperty("RuntimeImagePath") String runtimeImagePath,
        @JsonProperty("Stopped") Boolean stopped,
        @JsonProperty("ExitType") String exitType,
        @JsonProperty("AreUpdatesPending") Boolean areUpdatesPending,
        @JsonProperty("ObRoot") String obRoot,
        @JsonProperty("Statistics") com.fasterxml.jackson.databind.JsonNode statistics,
        @JsonProperty("ProcessList") java.util.List<ProcessDetails> processList,
        @JsonProperty("MappedVirtualDiskControllers") com.fasterxml.jackson.databind.JsonNode mappedVirtualDiskControllers,
        @JsonProperty("GuestConnectionInfo") com.fasterxml.jackson.databind.JsonNode guestConnectionInfo) {}
