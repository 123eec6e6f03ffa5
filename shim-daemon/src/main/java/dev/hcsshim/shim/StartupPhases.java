package dev.hcsshim.shim;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a daemon's start-up went, phase by phase, from main to the readiness line containerd's
 * {@code start} waits for; logged at debug level, so an operator sees what a slow start was made of.
 */
final class StartupPhases {
    private final List<String> phases = new ArrayList<>();
    private long last;

    StartupPhases() {
        last = System.nanoTime();
    }

    /** Ends the phase named {@code name}: the time since the previous mark. */
    void mark(String name) {
        long now = System.nanoTime();
        phases.add(name + " " + (now - last) / 1_000_000 + " ms");
        last = now;
    }

    @Override
    public String toString() {
        return String.join(", ", phases);
    }
}
