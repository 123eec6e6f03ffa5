package dev.hcsshim.windows.schema;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** schema2 Properties: the answer to a PropertyQuery. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Properties(
        @JsonProperty("Id") String id,
        @JsonProperty("SystemType") String systemType,
        @JsonProperty("RuntimeOsType") String runtimeOsType,
        @JsonProperty("Name") String name,
        @JsonProperty("Owner") String owner,
        @JsonProperty("RuntimeId") String runtimeId,
        @JsonProperty("RuntimeTemplateId") String runtimeTemplateId,
        @JsonProperty("State") String state,
        @JsonProperty("Stopped") Boolean stopped,
        @JsonProperty("ExitType") String exitType,
        @JsonProperty("Memory") com.fasterxml.jackson.databind.JsonNode memory,
        @JsonProperty("Statistics") Statistics statistics,
        @JsonProperty("ProcessList") java.util.List<ProcessDetails> processList,
        @JsonProperty("TerminateOnLastHandleClosed") Boolean terminateOnLastHandleClosed,
        @JsonProperty("HostingSystemId") String hostingSystemId,
        @JsonProperty("SharedMemoryRegionInfo") com.fasterxml.jackson.databind.JsonNode sharedMemoryRegionInfo,
        @JsonProperty("GuestConnectionInfo") com.fasterxml.jackson.databind.JsonNode guestConnectionInfo,
        @JsonProperty("Metrics") com.fasterxml.jackson.databind.JsonNode metrics) {}
