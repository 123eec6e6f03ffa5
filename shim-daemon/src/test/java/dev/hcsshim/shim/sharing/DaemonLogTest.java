package dev.hcsshim.shim.sharing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DaemonLogTest {
    /** Records where the log was pointed; logs in {@code unread} are ones containerd let go. */
    private final List<String> pointed = new ArrayList<>();
    private final Set<String> unread = new HashSet<>();
    private final DaemonLog log = new DaemonLog("a", (id, bundle) -> {
        assertEquals(Path.of("/bundles", id), bundle);
        pointed.add(id);
        return !unread.contains(id);
    });

    private void create(String id) {
        log.taskCreated(id, Path.of("/bundles", id));
    }

    @Test
    void aDaemonKeepsTheLogOfTheTaskItWasStartedForWhileThatTaskLives() {
        create("a");
        create("b");
        log.taskDeleted("b");
        assertEquals("a", log.owner());
        assertEquals(List.of(), pointed);
    }

    @Test
    void theLogMovesToTheOldestLiveTaskWhenItsOwnerIsDeleted() {
        create("a");
        create("b");
        create("c");
        log.taskDeleted("a");
        assertEquals("b", log.owner());
        log.taskDeleted("c");
        assertEquals("b", log.owner());
        assertEquals(List.of("b"), pointed);
    }

    @Test
    void aLogNobodyReadsAnyMoreIsSkipped() {
        create("a");
        create("b");
        create("c");
        unread.add("b");
        log.taskDeleted("a");
        assertEquals("c", log.owner());
        assertEquals(List.of("b", "c"), pointed);
    }

    @Test
    void aDaemonWhoseFirstTaskWasNeverCreatedWritesIntoTheFirstCreated() {
        create("b");
        assertEquals("b", log.owner());
        log.taskDeleted("b");
        assertEquals("b", log.owner(), "with no live task the log stays where it was");
        assertEquals(List.of("b"), pointed);
    }
}
