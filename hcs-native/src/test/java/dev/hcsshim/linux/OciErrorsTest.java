package dev.hcsshim.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.errdefs.ErrorKind;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** runc's recorded error messages (runc 1.1.5, {@code --log-format json}) and the kinds they map to. */
class OciErrorsTest {
    private static Map<String, RuncErrorCases.Recorded> recorded;

    @BeforeAll
    static void load() throws Exception {
        recorded = RuncErrorCases.recorded();
    }

    static Stream<RuncErrorCases.Case> cases() {
        return RuncErrorCases.ALL.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void aRecordedRuncFailureMapsToItsKind(RuncErrorCases.Case c) {
        RuncErrorCases.Recorded r = recorded.get(c.name());
        assertNotNull(r, "no recording of " + c.name());
        assertEquals(c.command(), r.command());
        assertTrue(r.exit() != 0, "runc failed");
        String message = r.message();
        assertNotNull(message, "an error line: " + r.logLine());
        assertEquals(c.kind(), OciErrors.classify(r.command(), message), c.name() + ": " + message);
    }

    @Test
    void everyRecordingHasACaseAndEveryKindRuncCanStateIsThere() {
        Set<String> names = RuncErrorCases.ALL.stream().map(RuncErrorCases.Case::name).collect(Collectors.toSet());
        assertEquals(names, recorded.keySet(), "recorded cases");
        Set<ErrorKind> kinds = RuncErrorCases.ALL.stream().map(RuncErrorCases.Case::kind).collect(Collectors.toSet());
        assertTrue(kinds.containsAll(EnumSet.of(ErrorKind.NOT_FOUND, ErrorKind.ALREADY_EXISTS, ErrorKind.FAILED_PRECONDITION,
                ErrorKind.INVALID_ARGUMENT, ErrorKind.UNKNOWN)), kinds.toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            // words the old substring rules keyed on; runc says none of these, so none is guessed
            "create|cannot allocate memory",
            "start|the container was stopped by an operator",
            "exec|invalid mount options",
            "create|unable to start container process: error during container init: permission denied",
            "pause|something unexpected: not created yet",
            "kill|unable to signal init: operation not permitted",
            "delete|''",
    })
    void messagesNotInTheTableStayUnknown(String command, String message) {
        assertEquals(ErrorKind.UNKNOWN, OciErrors.classify(command, message), message);
    }

    @Test
    void killFollowsContainerdsRuncShim() {
        // a container that is not running has no process to signal: "process already finished"
        assertEquals(ErrorKind.NOT_FOUND, OciErrors.classify("kill", "container not running"));
        assertEquals(ErrorKind.NOT_FOUND, OciErrors.classify("kill", "unable to signal init: No such process"));
        // the same words for another command are a state the container is in
        assertEquals(ErrorKind.FAILED_PRECONDITION, OciErrors.classify("pause", "container not running"));
        assertEquals(ErrorKind.UNKNOWN, OciErrors.classify("pause", "unable to signal init: no such process"));
        assertEquals(ErrorKind.UNKNOWN, OciErrors.classify("kill", null));
    }

    @Test
    void theLastErrorOfTheLogIsWhatRuncStated() {
        String log = """
                {"level":"warning","msg":"unable to find a cgroup","time":"2026-11-29T07:11:06Z"}
                {"level":"error","msg":"container still running","time":"2026-11-29T07:11:06Z"}
                {"level":"error","msg":"criu failed: type DUMP errno 0\\nlog file: dump.log","time":"2026-11-29T07:11:06Z"}
                """;
        assertEquals("criu failed: type DUMP errno 0; log file: dump.log", OciRuntime.errorMessage(log, ""));
        assertEquals("runc: no JSON log", OciRuntime.errorMessage("", "runc: no JSON log\n"));
        assertNull(OciRuntime.errorMessage("", ""));
        assertNull(OciRuntime.logLineError("{\"level\":\"info\",\"msg\":\"fine\"}"));
    }
}
