package dev.hcsshim.windows.schema;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** schema2 ProcessParameters: the HcsCreateProcess document. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ProcessParameters(
        @JsonProperty("ApplicationName") String applicationName,
        @JsonProperty("CommandLine") String commandLine,
        @JsonProperty("CommandArgs") java.util.List<String> commandArgs,
        @JsonProperty("User") String user,
        @JsonProperty("WorkingDirectory") String workingDirectory,
        @JsonProperty("Environment") java.util.Map<String, String> environment,
        @JsonProperty("RestrictedToken") Boolean restrictedToken,
        @JsonProperty("EmulateConsole") Boolean emulateConsole,
        @JsonProperty("CreateStdInPipe") Boolean createStdInPipe,
        @JsonProperty("CreateStdOutPipe") Boolean createStdOutPipe,
        @JsonProperty("CreateStdErrPipe") Boolean createStdErrPipe,
        @JsonProperty("ConsoleSize") java.util.List<Integer> consoleSize,
        @JsonProperty("UseExistingLogin") Boolean useExistingLogin,
        @JsonProperty("UseLegacyConsole") Boolean useLegacyConsole) {}
