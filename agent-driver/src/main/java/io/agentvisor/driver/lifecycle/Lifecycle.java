package io.agentvisor.driver.lifecycle;

import java.time.Duration;

/**
 * The run-strategy decision as a pure function: given the strategy, whether QEMU runs now and the VM's history,
 * should the driver start it, stop it, or leave it. KubeVirt's meanings:
 * <ul>
 * <li>Always: keep it running; restart after any exit (with back-off).</li>
 * <li>RerunOnFailure: restart after a failure; a guest shutdown leaves it stopped.</li>
 * <li>Halted: stop it; never start.</li>
 * <li>Once: start it once; whatever way it ends, it stays stopped.</li>
 * <li>Manual: never started or stopped by the driver on its own, only on request
 *     (annotation {@code agentvisor.io/requested-state}).</li>
 * </ul>
 */
public final class Lifecycle {
    public enum Action { KEEP_RUNNING, START, WAIT, STOP, STAY_STOPPED }

    /** @param waitFor for {@link Action#WAIT}: how long until a start is due */
    public record Decision(Action action, Duration waitFor, String reason) {
        static Decision of(Action a, String reason) {
            return new Decision(a, Duration.ZERO, reason);
        }
    }

    /** A request made under Manual: run, stop, or none. */
    public enum Request { NONE, RUN, STOP }

    private Lifecycle() {
    }

    public static Decision decide(Strategy strategy, boolean running, History h, Request manual, long nowMs,
            Backoff backoff) {
        switch (strategy) {
            case Halted:
                return running ? Decision.of(Action.STOP, "runStrategy is Halted")
                        : Decision.of(Action.STAY_STOPPED, "runStrategy is Halted");
            case Manual:
                if (manual == Request.STOP) {
                    return running ? Decision.of(Action.STOP, "stop requested")
                            : Decision.of(Action.STAY_STOPPED, "stop requested");
                }
                if (running) {
                    return Decision.of(Action.KEEP_RUNNING, "running");
                }
                return manual == Request.RUN && (h.lastExit() == null || h.lastExit() == ExitReason.STOPPED)
                        ? Decision.of(Action.START, "start requested")
                        : Decision.of(Action.STAY_STOPPED, "runStrategy is Manual");
            case Once:
                if (running) {
                    return Decision.of(Action.KEEP_RUNNING, "running");
                }
                return h.starts() == 0 ? Decision.of(Action.START, "runStrategy is Once: first run")
                        : Decision.of(Action.STAY_STOPPED, "runStrategy is Once: it has run");
            case RerunOnFailure:
                if (running) {
                    return Decision.of(Action.KEEP_RUNNING, "running");
                }
                if (h.lastExit() == ExitReason.GUEST_SHUTDOWN) {
                    return Decision.of(Action.STAY_STOPPED, "the guest shut down (runStrategy RerunOnFailure)");
                }
                return startOrWait(h, nowMs, backoff);
            case Always:
            default:
                return running ? Decision.of(Action.KEEP_RUNNING, "running") : startOrWait(h, nowMs, backoff);
        }
    }

    private static Decision startOrWait(History h, long nowMs, Backoff backoff) {
        if (h.lastExit() == null || h.lastExit() == ExitReason.STOPPED) {
            return Decision.of(Action.START, h.starts() == 0 ? "first start" : "start");
        }
        long due = h.lastExitAtMs() + backoff.delay(h.consecutiveExits()).toMillis();
        if (due > nowMs) {
            return new Decision(Action.WAIT, Duration.ofMillis(due - nowMs),
                    "back-off after " + h.consecutiveExits() + " exits in a row");
        }
        return Decision.of(Action.START, "restart after " + (h.lastExit() == ExitReason.FAILED ? "a failure"
                : "a guest shutdown"));
    }
}
