package dev.hcsshim.windows.schema;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** schema2 ProcessDetails (ProcessList entries). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ProcessDetails(
        @JsonProperty("ProcessId") Integer processId,
        @JsonProperty("ImageName") String imageName,
        @JsonProperty("CreateTimestamp") String createTimestamp,
        @JsonProperty("UserTime100ns") Long userTime100ns,
        @JsonProperty("KernelTime100ns") Long kernelTime100ns,
        @JsonProperty("MemoryCommitBytes") Long memoryCommitBytes,
        @JsonProperty("MemoryWorkingSetPrivateBytes") Long memoryWorkingSetPrivateBytes,
        @JsonProperty("MemoryWorkingSetSharedBytes") Long memoryWorkingSetSharedBytes) {}
