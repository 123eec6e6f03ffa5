package dev.hcsshim.shim.sharing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hcsshim.proto.runhcs.options.Options;
import dev.hcsshim.proto.runhcs.options.Options.DaemonScope;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DaemonPlacementTest {
    private static final Options NONE = Options.getDefaultInstance();
    private static final String SANDBOX = TaskGrouping.SANDBOX_ANNOTATION;
    private static final String GROUP = TaskGrouping.GROUP_ANNOTATION;
    private static final String SCOPE = DaemonPlacement.SCOPE_ANNOTATION;

    private static DaemonPlacement place(String id, Map<String, String> annotations, Options options) {
        return DaemonPlacement.of(id, annotations, options, "b1");
    }

    @Test
    void byDefaultATaskHasItsOwnDaemonAndAPodSharesOne() {
        DaemonPlacement alone = place("web", Map.of(), NONE);
        assertEquals("web", alone.key());
        assertFalse(alone.shared());

        DaemonPlacement sandbox = place("pod1", Map.of(SANDBOX, "pod1"), NONE);
        DaemonPlacement container = place("app", Map.of(SANDBOX, "pod1"), NONE);
        assertTrue(sandbox.shared());
        assertEquals(sandbox.key(), container.key(), "a pod's sandbox and its containers share the daemon");
        assertNotEquals(sandbox.key(), place("other", Map.of(SANDBOX, "pod2"), NONE).key());
    }

    /** start passes null when containerd sent no options; the daemon it launches parses them to the default instance. */
    @Test
    void noOptionsPlaceATaskAsTheDefaultOptionsDo() {
        for (Map<String, String> annotations : java.util.List.of(Map.<String, String>of(), Map.of(SANDBOX, "pod1"),
                Map.of(GROUP, "g"), Map.of(SCOPE, "namespace"), Map.of(SCOPE, "container", SANDBOX, "pod1"))) {
            assertEquals(place("t", annotations, NONE), place("t", annotations, null), annotations.toString());
        }
    }

    @Test
    void theHandlerOptionSetsTheScopeForTasksWithoutTheirOwnChoice() {
        Options namespace = Options.newBuilder().setDaemonScope(DaemonScope.NAMESPACE).build();
        assertEquals(place("a", Map.of(), namespace).key(), place("b", Map.of(SANDBOX, "p"), namespace).key());
        assertTrue(place("a", Map.of(), namespace).shared());

        Options container = Options.newBuilder().setDaemonScope(DaemonScope.CONTAINER).build();
        assertEquals("app", place("app", Map.of(SANDBOX, "pod1"), container).key(), "per container even inside a pod");
        assertFalse(place("app", Map.of(SANDBOX, "pod1"), container).shared());
    }

    @Test
    void criCarriesTheHandlerScopeInDefaultContainerAnnotations() {
        // containerd's CRI plugin only knows hcsshim's own option fields; this one it passes on.
        Options viaCri = Options.newBuilder().putDefaultContainerAnnotations(SCOPE, "namespace").build();
        assertEquals(place("a", Map.of(), viaCri).key(), place("b", Map.of(), viaCri).key());
    }

    @Test
    void aTaskAnnotationOverridesTheHandler() {
        Options namespace = Options.newBuilder().setDaemonScope(DaemonScope.NAMESPACE).build();
        assertEquals("solo", place("solo", Map.of(SCOPE, "container"), namespace).key());
        DaemonPlacement grouped = place("a", Map.of(GROUP, "g"), namespace);
        assertEquals(grouped.key(), place("b", Map.of(GROUP, "g"), NONE).key(), "a named group beats the handler's scope");
        assertNotEquals(grouped.key(), place("c", Map.of(GROUP, "h"), NONE).key());
    }

    @Test
    void sharedKeysNeverCollideWithATaskIdAndFollowTheBuild() {
        DaemonPlacement group = place("x", Map.of(GROUP, "web"), NONE);
        assertNotEquals("web", group.key(), "a group is not the task named like it");
        assertNotEquals(group.key(), DaemonPlacement.of("x", Map.of(GROUP, "web"), NONE, "b2").key(),
                "a new build starts daemons of its own");
        assertEquals("solo", DaemonPlacement.of("solo", Map.of(), NONE, "b2").key(), "a task's own daemon needs no build name");
    }

    @Test
    void idlePeriodComesFromTheOptions() {
        Options idle = Options.newBuilder().setDaemonScope(DaemonScope.NAMESPACE).setDaemonIdleExitSeconds(90).build();
        assertEquals(Duration.ofSeconds(90), place("a", Map.of(), idle).idleExit());
        assertEquals(Duration.ZERO, place("a", Map.of(), NONE).idleExit());
    }

    @Test
    void badChoicesAreRefusedWithAClearMessage() {
        var unknown = assertThrows(IllegalArgumentException.class, () -> place("a", Map.of(SCOPE, "node"), NONE));
        assertTrue(unknown.getMessage().contains("unknown daemon scope node"), unknown.getMessage());
        var noGroup = assertThrows(IllegalArgumentException.class, () -> place("a", Map.of(SCOPE, "group"), NONE));
        assertTrue(noGroup.getMessage().contains(GROUP), noGroup.getMessage());
        assertThrows(IllegalArgumentException.class, () -> place("a", Map.of(GROUP, "../x"), NONE));
    }
}
