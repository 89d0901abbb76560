package io.agentvisor.driver.kube;

import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.conditions.ConditionSet;
import io.agentvisor.driver.credentials.CredentialSync;
import io.agentvisor.driver.poll.AgentSettings;
import io.agentvisor.driver.poll.AgentView;
import java.time.Instant;
import java.util.List;

/**
 * The driver's conditions on a VM, built in one place from what the runtime and the agent cache say: Running,
 * AgentConnected, AgentResponsive, Ready, and AccessCredentialsSynchronized when the VM has access credentials. A
 * condition of the driver's is one entry in {@link #TYPES} and one
 * {@code set} in {@link #build}; the operator's entries are never touched.
 */
final class DriverConditions {
    static final List<String> TYPES = List.of(ConditionTypes.ACCESS_CREDENTIALS_SYNCHRONIZED,
            ConditionTypes.AGENT_CONNECTED, ConditionTypes.AGENT_RESPONSIVE, ConditionTypes.READY, ConditionTypes.RUNNING);

    private DriverConditions() {
    }

    static ConditionSet build(VmState s, AgentView a, AgentSettings settings, List<Condition> stored, Long generation,
            Instant now) {
        ConditionSet c = new ConditionSet(TYPES, stored, generation, now);
        c.set(ConditionTypes.RUNNING, s.running(), s.run().reason().name(), s.run().message());

        boolean agentLive = s.running() && s.agentConfigured();
        String notReason;
        String notMessage;
        if (!s.agentConfigured()) {
            notReason = ConditionTypes.REASON_NOT_CONFIGURED;
            notMessage = "the VM has no guest agent channel (guestAgent.enabled is false)";
        } else if (!s.running()) {
            notReason = ConditionTypes.REASON_NOT_CONNECTED;
            notMessage = "the VM is not running";
        } else if (a.link().lastError() != null) {
            notReason = a.link().errorReason();
            notMessage = a.link().lastError().message();
        } else {
            notReason = ConditionTypes.REASON_NOT_CONNECTED;
            notMessage = "waiting for the guest agent to answer";
        }
        boolean connected = agentLive && a.link().connected();
        if (connected) {
            c.set(ConditionTypes.AGENT_CONNECTED, true, "Connected", "the guest opened its end of the agent channel");
        } else if (agentLive) {
            c.set(ConditionTypes.AGENT_CONNECTED, false, ConditionTypes.REASON_NOT_CONNECTED, "the guest has not "
                    + "opened its end of the agent channel (no agent running in the guest, or the VM is not up yet)");
        } else {
            c.set(ConditionTypes.AGENT_CONNECTED, false, notReason, notMessage);
        }
        boolean responsive = agentLive && a.link().responsive();
        if (responsive) {
            c.set(ConditionTypes.AGENT_RESPONSIVE, true, "Responsive", "the guest agent answers within "
                    + timeoutText(settings.responseTimeout()));
        } else {
            c.set(ConditionTypes.AGENT_RESPONSIVE, false, notReason, notMessage);
        }
        if (!s.running()) {
            c.set(ConditionTypes.READY, false, s.run().reason().name(), s.run().message());
        } else if (!s.agentConfigured() || responsive) {
            c.set(ConditionTypes.READY, true, "Ready", "running" + (s.agentConfigured()
                    ? " with a responsive guest agent" : ""));
        } else {
            c.set(ConditionTypes.READY, false, "AgentNotResponsive", notMessage);
        }
        CredentialSync.Wanted cred = s.credentials();
        Condition storedCred = c.stored(ConditionTypes.ACCESS_CREDENTIALS_SYNCHRONIZED);
        if (cred != null && cred != CredentialSync.NONE) {
            c.set(ConditionTypes.ACCESS_CREDENTIALS_SYNCHRONIZED, cred.status(), cred.reason(), cred.message());
        } else if (cred == null && storedCred != null) {
            c.set(ConditionTypes.ACCESS_CREDENTIALS_SYNCHRONIZED, Condition.TRUE.equals(storedCred.getStatus()),
                    storedCred.getReason(), storedCred.getMessage());
        }
        return c;
    }

    static String timeoutText(int t) {
        return switch (t) {
            case -2 -> "its timeout (Block)";
            case -1 -> "5 s (Default)";
            case 0 -> "no wait (NoWait)";
            default -> t + " s";
        };
    }
}
