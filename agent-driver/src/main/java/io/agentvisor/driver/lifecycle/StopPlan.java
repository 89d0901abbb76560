package io.agentvisor.driver.lifecycle;

import java.time.Duration;

/**
 * Graceful stop as a pure schedule: ask the guest to shut down through its agent (if it has a responsive one),
 * else by ACPI powerdown; if the guest ignored the agent, try ACPI half way through the grace period; at the end
 * of it ask QEMU to quit; if even that does not end it, SIGKILL.
 */
public final class StopPlan {
    public enum Step { AGENT_SHUTDOWN, ACPI_POWERDOWN, QMP_QUIT, KILL, WAIT }

    /** How long after {@code quit} the process is killed. */
    public static final Duration KILL_AFTER_QUIT = Duration.ofSeconds(10);

    private StopPlan() {
    }

    /**
     * The next step due at {@code elapsed} since the stop began, given what was already done.
     *
     * @param agentUsable whether the VM's agent is connected and answering
     */
    public static Step next(Duration elapsed, Duration grace, boolean agentUsable, boolean agentTried,
            boolean acpiTried, boolean quitTried) {
        if (quitTried) {
            return elapsed.compareTo(grace.plus(KILL_AFTER_QUIT)) >= 0 ? Step.KILL : Step.WAIT;
        }
        if (elapsed.compareTo(grace) >= 0) {
            return Step.QMP_QUIT;
        }
        if (!agentTried && !acpiTried) {
            return agentUsable ? Step.AGENT_SHUTDOWN : Step.ACPI_POWERDOWN;
        }
        if (!acpiTried && elapsed.compareTo(grace.dividedBy(2)) >= 0) {
            return Step.ACPI_POWERDOWN;
        }
        return Step.WAIT;
    }
}
