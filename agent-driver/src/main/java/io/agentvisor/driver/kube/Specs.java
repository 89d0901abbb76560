package io.agentvisor.driver.kube;

import io.agentvisor.api.v1alpha1.AgentPolicyStatus;
import io.agentvisor.api.v1alpha1.AgentTuning;
import io.agentvisor.api.v1alpha1.Durations;
import io.agentvisor.api.v1alpha1.PollIntervals;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.driver.poll.AgentSettings;
import io.agentvisor.api.v1alpha1.PollGroup;
import java.util.HashMap;
import java.util.Map;

/** From a VM's status.agentPolicy (the operator's resolution) to the agent settings the driver applies. */
public final class Specs {
    private Specs() {
    }

    /**
     * The settings to apply: status.agentPolicy (the operator's resolution) when present, else {@code fallback}
     * (what is on disk, or the product default), with spec.guestAgent.enabled honoured in both cases.
     */
    public static AgentSettings agentSettings(VirtualMachine vm, AgentSettings fallback) {
        AgentPolicyStatus p = vm.getStatus() == null ? null : vm.getStatus().getAgentPolicy();
        Boolean specEnabled = vm.getSpec() == null || vm.getSpec().getGuestAgent() == null ? null
                : vm.getSpec().getGuestAgent().getEnabled();
        if (p == null) {
            boolean enabled = specEnabled != null ? specEnabled : fallback.enabled();
            return new AgentSettings(enabled, fallback.responseTimeout(), fallback.commandTimeouts(),
                    fallback.blockedCommands(), fallback.pollIntervals(), fallback.unresponsiveAfter());
        }
        Map<String, Long> intervals = new HashMap<>();
        PollIntervals pi = p.getPollIntervals();
        if (pi != null) {
            put(intervals, PollGroup.USERS, pi.getUsers());
            put(intervals, PollGroup.OS_INFO, pi.getOsInfo());
            put(intervals, PollGroup.FILESYSTEMS, pi.getFilesystems());
            put(intervals, PollGroup.INTERFACES, pi.getInterfaces());
            put(intervals, PollGroup.AGENT_INFO, pi.getAgentInfo());
        }
        boolean enabled = p.getEnabled() != null ? p.getEnabled() : specEnabled == null || specEnabled;
        return new AgentSettings(enabled, p.getResponseTimeout() == null ? -1 : p.getResponseTimeout(),
                p.getCommandTimeouts(), p.getBlockedCommands() == null ? null : new java.util.HashSet<>(
                        p.getBlockedCommands()), intervals,
                p.getUnresponsiveAfter() == null ? AgentTuning.DEFAULT_UNRESPONSIVE_AFTER : p.getUnresponsiveAfter());
    }

    private static void put(Map<String, Long> m, PollGroup g, String text) {
        if (text != null) {
            try {
                long ms = Durations.parsePositive(text, "pollIntervals." + g.key).toMillis();
                m.put(g.key, Math.max(1, (ms + 999) / 1000));
            } catch (IllegalArgumentException ignored) {
                // the schema validates these; a bad one keeps the group's default
            }
        }
    }
}
