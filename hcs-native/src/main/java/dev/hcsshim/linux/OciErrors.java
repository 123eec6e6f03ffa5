package dev.hcsshim.linux;

import dev.hcsshim.errdefs.ErrorKind;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What an OCI runtime's error message means, in containerd's error classes. The table holds the
 * messages runc 1.1 writes to its {@code --log-format json} log (the tests replay recorded ones and
 * re-record them from the installed runc); a message it does not know stays
 * {@link ErrorKind#UNKNOWN}, as containerd leaves it, instead of being guessed from its words.
 *
 * <p>Kill follows containerd's runc shim: a container that is no longer running, or a process
 * that is gone, means the process already finished (NotFound).
 */
public final class OciErrors {
    /** The wrapping runc puts around the real reason ("runc create failed: ...", "exec failed: ..."). */
    private static final Pattern COMMAND_PREFIX = Pattern.compile("^(?:runc \\w+ failed|exec failed): ");

    private record Rule(ErrorKind kind, Pattern message) {
        Rule(ErrorKind kind, String regex) {
            this(kind, Pattern.compile(regex));
        }
    }

    private static final String START_PROCESS = "unable to start container process: ";

    /** For every command: libcontainer's error values, state checks and spec validation. */
    private static final List<Rule> COMMON = List.of(
            new Rule(ErrorKind.NOT_FOUND, "container does not exist"),
            new Rule(ErrorKind.ALREADY_EXISTS, "container with given ID already exists"),
            new Rule(ErrorKind.INVALID_ARGUMENT, "invalid container ID format|container id cannot be empty"),
            new Rule(ErrorKind.FAILED_PRECONDITION,
                    "container not running|container paused|container not paused|container still running"
                            + "|container with id \\S+ is not running"
                            + "|cannot start a container that has stopped|cannot start an already running container"
                            + "|cannot start a container in the paused state|cannot exec in a stopped container"
                            + "|cannot delete container \\S+ that is not stopped: \\w+"),
            // the spec or resources we passed: runc's validation and its JSON decoder
            new Rule(ErrorKind.INVALID_ARGUMENT, "args must not be empty|Cwd must be an absolute path"
                    + "|invalid rootfs: .*|invalid character .*|json: cannot unmarshal .*|unexpected end of JSON input"
                    + "|unknown signal \".*\""),
            // the process the spec names cannot be started in this container
            new Rule(ErrorKind.INVALID_ARGUMENT, Pattern.quote(START_PROCESS)
                    + "(?:exec: \".*\": (?:executable file not found in \\$PATH|stat .*: no such file or directory)"
                    + "|chdir to cwd \\(\".*\"\\) set in config\\.json failed: no such file or directory"
                    + "|unable to setup user: uids and gids must be in range .*)"));

    /** Kill: containerd's checkKillError. */
    private static final List<Rule> KILL = List.of(
            new Rule(ErrorKind.NOT_FOUND, "container not running|(?i:.*\\bno such process)"),
            new Rule(ErrorKind.INVALID_ARGUMENT, "unable to signal init: invalid argument"));

    private OciErrors() {}

    /** The reason in a runtime message, without runc's "<command> failed: " wrapping. */
    public static String reason(String message) {
        return COMMAND_PREFIX.matcher(message.strip()).replaceFirst("");
    }

    /**
     * The kind of a failed runtime command from the error message it logged.
     *
     * @param command the runtime subcommand ("create", "kill", ...)
     * @param message the last error the runtime logged; null or empty if it logged none
     */
    public static ErrorKind classify(String command, String message) {
        if (message == null || message.isBlank()) {
            return ErrorKind.UNKNOWN;
        }
        String reason = reason(message);
        if (command.equals("kill")) {
            ErrorKind k = match(KILL, reason);
            if (k != null) return k;
        }
        ErrorKind k = match(COMMON, reason);
        return k == null ? ErrorKind.UNKNOWN : k;
    }

    private static ErrorKind match(List<Rule> rules, String reason) {
        for (Rule r : rules) {
            if (r.message().matcher(reason).matches()) return r.kind();
        }
        return null;
    }
}
