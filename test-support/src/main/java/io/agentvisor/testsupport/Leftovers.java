package io.agentvisor.testsupport;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Fixtures a test forgot to close are closed at JVM exit, so no process or temp directory outlives the run. */
final class Leftovers {
    private static final Set<AutoCloseable> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> OPEN.forEach(c -> {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort at exit
            }
        }), "fixture-leftovers"));
    }

    private Leftovers() {
    }

    static void track(AutoCloseable fixture) {
        OPEN.add(fixture);
    }

    static void untrack(AutoCloseable fixture) {
        OPEN.remove(fixture);
    }
}
