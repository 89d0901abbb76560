package io.agentvisor.driver.poll;

import io.agentvisor.agent.ResponseTimeout;
import io.agentvisor.api.v1alpha1.AgentPolicyStatus;
import io.agentvisor.api.v1alpha1.AgentTuning;
import io.agentvisor.api.v1alpha1.Durations;
import io.agentvisor.api.v1alpha1.PollGroup;
import io.agentvisor.api.v1alpha1.PollIntervals;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The agent settings of one VM as applied on the node, from its status.agentPolicy (a restarted driver reads them
 * from the API before it attaches to the VM's agent).
 *
 * @param responseTimeout   libvirt integer (-2 Block, -1 Default, 0 NoWait, N seconds)
 * @param commandTimeouts   per-command overrides, libvirt integers
 * @param pollIntervals     seconds per group key (missing: the group's default)
 * @param unresponsiveAfter consecutive timeouts before AgentResponsive turns False
 */
public record AgentSettings(boolean enabled, int responseTimeout, Map<String, Integer> commandTimeouts,
        Set<String> blockedCommands, Map<String, Long> pollIntervals, int unresponsiveAfter) {
    /** Until the operator resolved a policy: the product default (bounded 5 s, never Block). */
    public static final AgentSettings DEFAULTS = new AgentSettings(true, ResponseTimeout.DEFAULT.value(), Map.of(),
            Set.of(), Map.of(), AgentTuning.DEFAULT_UNRESPONSIVE_AFTER);

    public AgentSettings {
        ResponseTimeout.of(responseTimeout, "responseTimeout");
        commandTimeouts = Map.copyOf(new TreeMap<>(commandTimeouts == null ? Map.of() : commandTimeouts));
        blockedCommands = Set.copyOf(new TreeSet<>(blockedCommands == null ? Set.of() : blockedCommands));
        pollIntervals = Map.copyOf(pollIntervals == null ? Map.of() : pollIntervals);
        unresponsiveAfter = Math.max(1, unresponsiveAfter);
    }

    /**
     * The settings to apply to {@code vm}: its status.agentPolicy (the operator's resolution) when present, else
     * {@code fallback} (what is on disk, or the product default), with spec.guestAgent.enabled honoured in both cases.
     */
    public static AgentSettings of(VirtualMachine vm, AgentSettings fallback) {
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
            putSeconds(intervals, PollGroup.USERS, pi.getUsers());
            putSeconds(intervals, PollGroup.OS_INFO, pi.getOsInfo());
            putSeconds(intervals, PollGroup.FILESYSTEMS, pi.getFilesystems());
            putSeconds(intervals, PollGroup.INTERFACES, pi.getInterfaces());
            putSeconds(intervals, PollGroup.AGENT_INFO, pi.getAgentInfo());
        }
        boolean enabled = p.getEnabled() != null ? p.getEnabled() : specEnabled == null || specEnabled;
        return new AgentSettings(enabled, p.getResponseTimeout() == null ? -1 : p.getResponseTimeout(),
                p.getCommandTimeouts(), p.getBlockedCommands() == null ? null : new HashSet<>(p.getBlockedCommands()),
                intervals,
                p.getUnresponsiveAfter() == null ? AgentTuning.DEFAULT_UNRESPONSIVE_AFTER : p.getUnresponsiveAfter());
    }

    private static void putSeconds(Map<String, Long> m, PollGroup g, String text) {
        if (text != null) {
            try {
                long ms = Durations.parsePositive(text, "pollIntervals." + g.key).toMillis();
                m.put(g.key, Math.max(1, (ms + 999) / 1000));
            } catch (IllegalArgumentException ignored) {
                // the schema validates these; a bad one keeps the group's default
            }
        }
    }

    public Map<PollGroup, Duration> intervals() {
        Map<PollGroup, Duration> m = new EnumMap<>(PollGroup.class);
        for (PollGroup g : PollGroup.values()) {
            Long s = pollIntervals.get(g.key);
            m.put(g, s != null && s > 0 ? Duration.ofSeconds(s) : g.defaultInterval);
        }
        return m;
    }

    public boolean blocked(String command) {
        return blockedCommands.contains(command);
    }

    /** For messages: the groups with their effective intervals. */
    public List<String> describeIntervals() {
        return intervals().entrySet().stream().map(e -> e.getKey().key + "=" + e.getValue().toSeconds() + "s").toList();
    }
}
