package io.agentvisor.launcher;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The launcher's settings, from the environment the operator gives the VM's container.
 *
 * @param terminationGrace {@code AGENTVISOR_TERMINATION_GRACE_SECONDS}: the pod's terminationGracePeriodSeconds;
 *                         the kubelet sends SIGKILL when it ends
 * @param guestShutdownWait {@code AGENTVISOR_GUEST_SHUTDOWN_WAIT_SECONDS}: after SIGTERM, how long the guest may
 *                         take to stop on its own (the node driver asks its agent for guest-shutdown) before the
 *                         launcher presses the ACPI power button
 * @param quitMargin       {@code AGENTVISOR_QUIT_MARGIN_SECONDS}: QEMU is told to quit this long before the grace ends
 * @param qmpSocket        {@code AGENTVISOR_LAUNCHER_QMP}: the launcher's own QMP monitor socket
 */
record Settings(Duration terminationGrace, Duration guestShutdownWait, Duration quitMargin, Path qmpSocket) {
    static final String GRACE = "AGENTVISOR_TERMINATION_GRACE_SECONDS";
    static final String SHUTDOWN_WAIT = "AGENTVISOR_GUEST_SHUTDOWN_WAIT_SECONDS";
    static final String QUIT_MARGIN = "AGENTVISOR_QUIT_MARGIN_SECONDS";
    static final String QMP = "AGENTVISOR_LAUNCHER_QMP";

    static Settings from(Map<String, String> env) {
        Duration grace = seconds(env, GRACE, 30);
        Duration wait = seconds(env, SHUTDOWN_WAIT, 15);
        Duration margin = seconds(env, QUIT_MARGIN, 5);
        if (grace.isZero()) {
            throw new IllegalArgumentException(GRACE + ": must be at least 1");
        }
        return new Settings(grace, wait, margin,
                Path.of(env.getOrDefault(QMP, "/run/agentvisor/launcher-qmp.sock")));
    }

    private static Duration seconds(Map<String, String> env, String key, long dflt) {
        String v = env.get(key);
        if (v == null || v.isBlank()) {
            return Duration.ofSeconds(dflt);
        }
        try {
            long s = Long.parseLong(v.trim());
            if (s < 0 || s > 86_400) {
                throw new IllegalArgumentException(key + ": " + v + " is not between 0 and 86400 seconds");
            }
            return Duration.ofSeconds(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": \"" + v + "\" is not a number of seconds");
        }
    }

    /** After SIGTERM at 0: when to press ACPI power, and when to quit (never before the ACPI press). */
    Duration powerdownAt() {
        return guestShutdownWait.compareTo(quitAt()) < 0 ? guestShutdownWait : quitAt();
    }

    Duration quitAt() {
        Duration q = terminationGrace.minus(quitMargin);
        return q.isNegative() ? Duration.ZERO : q;
    }
}
