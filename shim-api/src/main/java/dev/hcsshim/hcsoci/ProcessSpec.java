package dev.hcsshim.hcsoci;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.List;

/** The fields of an OCI runtime-spec {@code process} that Cmd uses, with the OCI JSON names. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class ProcessSpec {
    @JsonProperty("terminal") public Boolean terminal;
    @JsonProperty("consoleSize") public Box consoleSize;
    @JsonProperty("user") public User user = new User();
    @JsonProperty("args") public List<String> args = new ArrayList<>();
    @JsonProperty("commandLine") public String commandLine;
    @JsonProperty("env") public List<String> env;
    @JsonProperty("cwd") public String cwd;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static final class Box {
        @JsonProperty("height") public int height;
        @JsonProperty("width") public int width;

        public Box() {}

        public Box(int height, int width) {
            this.height = height;
            this.width = width;
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static final class User {
        @JsonProperty("uid") public int uid;
        @JsonProperty("gid") public int gid;
        @JsonProperty("username") public String username;
    }

    public boolean isTerminal() {
        return terminal != null && terminal;
    }
}
