package dev.hcsshim.linux;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Provokes every {@link RuncErrorCases} failure with the installed runc and checks that runc
 * still says what was recorded, and that it still maps to the intended kind: a runc whose
 * wording changed fails here, not in production. With
 * {@code -Dhcsshim.runc.errors.record=<file>} it (re)writes the recording.
 */
@EnabledIf("dev.hcsshim.linux.LinuxTestSupport#canRunRunc")
class RuncErrorsLiveTest {
    @AfterAll
    static void removeCgroupParent() {
        LinuxTestSupport.removeCgroupParent(RuncErrorCases.Recorder.CGROUP_PARENT);
    }

    @Test
    void runcStillStatesWhatWasRecorded(@TempDir Path work) throws Exception {
        List<RuncErrorCases.Recorded> live = new ArrayList<>();
        try (RuncErrorCases.Recorder recorder = new RuncErrorCases.Recorder(work)) {
            for (RuncErrorCases.Case c : RuncErrorCases.ALL) {
                live.add(c.provoke().run(recorder));
            }
        }
        String target = System.getProperty("hcsshim.runc.errors.record");
        if (target != null && !target.isEmpty()) {
            List<String> lines = new ArrayList<>();
            for (RuncErrorCases.Recorded r : live) lines.add(r.toJson());
            Files.write(Path.of(target), lines);
        }
        Map<String, RuncErrorCases.Recorded> recorded = RuncErrorCases.recorded();
        List<Executable> checks = new ArrayList<>();
        for (int i = 0; i < live.size(); i++) {
            RuncErrorCases.Case c = RuncErrorCases.ALL.get(i);
            RuncErrorCases.Recorded now = live.get(i);
            RuncErrorCases.Recorded then = recorded.get(c.name());
            checks.add(() -> {
                assertNotNull(then, "no recording of " + c.name());
                assertEquals(then.message(), now.message(), c.name() + ": runc's message");
                assertEquals(then.exit(), now.exit(), c.name() + ": runc's exit status");
                assertEquals(c.kind(), OciErrors.classify(c.command(), now.message()), c.name() + ": " + now.message());
            });
        }
        assertAll(checks);
    }
}
