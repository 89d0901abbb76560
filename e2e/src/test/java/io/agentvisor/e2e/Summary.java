package io.agentvisor.e2e;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Records what each scenario checked ({@link #check}) and how it ended, and prints one summary table to stdout
 * after each test class: scenarios run, survived, what each checked.
 */
final class Summary implements BeforeEachCallback, TestWatcher, AfterAllCallback {
    private static final Map<String, Scenario> SCENARIOS = new LinkedHashMap<>();
    private static String current;

    static final class Scenario {
        final String name;
        final List<String> checks = new ArrayList<>();
        String outcome = "RUNNING";
        String detail = "";
        long started = System.nanoTime();
        Duration took = Duration.ZERO;

        Scenario(String name) {
            this.name = name;
        }
    }

    /** One line of what the running scenario verified (call it after the assertion held). */
    static synchronized void check(String what) {
        if (current != null) {
            SCENARIOS.get(current).checks.add(what);
        }
        System.out.println("  [e2e] ok: " + what);
    }

    private static String name(ExtensionContext c) {
        return c.getDisplayName().replaceAll("\\(.*\\)$", "");
    }

    @Override
    public synchronized void beforeEach(ExtensionContext c) {
        current = name(c);
        SCENARIOS.put(current, new Scenario(current));
        System.out.println("[e2e] ---- scenario " + current + " ----");
    }

    private static synchronized void end(ExtensionContext c, String outcome, String detail) {
        Scenario s = SCENARIOS.computeIfAbsent(name(c), Scenario::new);
        s.outcome = outcome;
        s.detail = detail == null ? "" : detail;
        s.took = Duration.ofNanos(System.nanoTime() - s.started);
    }

    @Override
    public void testSuccessful(ExtensionContext c) {
        end(c, "SURVIVED", null);
    }

    @Override
    public void testFailed(ExtensionContext c, Throwable cause) {
        end(c, "FAILED", firstLine(cause.getMessage()));
    }

    @Override
    public void testAborted(ExtensionContext c, Throwable cause) {
        end(c, "SKIPPED", firstLine(cause.getMessage()));
    }

    @Override
    public void testDisabled(ExtensionContext c, Optional<String> reason) {
        end(c, "DISABLED", reason.orElse(""));
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        String l = s.lines().findFirst().orElse("");
        return l.length() > 300 ? l.substring(0, 300) + "..." : l;
    }

    @Override
    public synchronized void afterAll(ExtensionContext c) {
        StringBuilder b = new StringBuilder("\n==================== Agentvisor e2e: " + c.getDisplayName()
                + " ====================\n");
        long survived = SCENARIOS.values().stream().filter(s -> s.outcome.equals("SURVIVED")).count();
        long run = SCENARIOS.values().stream().filter(s -> !s.outcome.equals("DISABLED")
                && !s.outcome.equals("SKIPPED")).count();
        b.append(String.format("scenarios: %d run, %d survived, %d failed, %d skipped/disabled%n", run, survived,
                run - survived, SCENARIOS.size() - run));
        for (Scenario s : SCENARIOS.values()) {
            b.append(String.format("%n%-9s %s (%d s)%s%n", s.outcome, s.name, s.took.toSeconds(),
                    s.detail.isEmpty() ? "" : ": " + s.detail));
            for (String check : s.checks) {
                b.append("            - ").append(check).append('\n');
            }
        }
        b.append("======================================================================\n");
        System.out.println(b);
        SCENARIOS.clear(); // the next test class gets a table of its own
        current = null;
    }
}
