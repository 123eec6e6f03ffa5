package dev.hcsshim.shim.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hcsshim.proto.runhcs.options.Options;
import dev.hcsshim.stdio.CopyAfterExit;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The runtime option copy_after_exit_timeout_in_ms wins over the daemon's default. */
class CopyAfterExitOptionTest {
    @Test
    void theTaskOptionWinsAndZeroMeansTheDaemonDefault() {
        assertEquals(Duration.ofMillis(5000),
                OciTaskBackend.copyAfterExitTimeout(Options.newBuilder().setCopyAfterExitTimeoutInMs(5000).build()));
        assertEquals(CopyAfterExit.defaultTimeout(), OciTaskBackend.copyAfterExitTimeout(Options.getDefaultInstance()));
        assertEquals(CopyAfterExit.defaultTimeout(), OciTaskBackend.copyAfterExitTimeout(null));
    }
}
