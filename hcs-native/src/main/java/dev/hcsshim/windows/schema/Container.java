package dev.hcsshim.windows.schema;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** schema2 Container; nested device documents are carried as JSON trees. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Container(
        @JsonProperty("GuestOs") com.fasterxml.jackson.databind.JsonNode guestOs,
        @JsonProperty("Storage") com.fasterxml.jackson.databind.JsonNode storage,
        @JsonProperty("MappedDirectories") java.util.List<com.fasterxml.jackson.databind.JsonNode> mappedDirectories,
        @JsonProperty("MappedPipes") java.util.List<com.fasterxml.jackson.databind.JsonNode> mappedPipes,
        @JsonProperty("Memory") com.fasterxml.jackson.databind.JsonNode memory,
        @JsonProperty("Processor") com.fasterxml.jackson.databind.JsonNode processor,
        @JsonProperty("Networking") com.fasterxml.jackson.databind.JsonNode networking,
        @JsonProperty("HvSocket") com.fasterxml.jackson.databind.JsonNode hvSocket,
        @JsonProperty("ContainerCredentialGuard") com.fasterxml.jackson.databind.JsonNode containerCredentialGuard,
        @JsonProperty("RegistryChanges") com.fasterxml.jackson.databind.JsonNode registryChanges,
        @JsonProperty("AssignedDevices") java.util.List<com.fasterxml.jackson.databind.JsonNode> assignedDevices,
        @JsonProperty("AdditionalDeviceNamespace") com.fasterxml.jackson.databind.JsonNode additionalDeviceNamespace) {}
