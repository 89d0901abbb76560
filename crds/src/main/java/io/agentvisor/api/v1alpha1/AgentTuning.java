package io.agentvisor.api.v1alpha1;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.IntOrString;

/**
 * How a guest agent is talked to: the settings a VM's {@code spec.guestAgent} and a GuestAgentPolicy's spec have
 * in common (resolved field by field into {@code status.agentPolicy}). Subclasses carry the schema customizers
 * that add minimum and pattern to the int-or-string timeouts.
 */
public abstract class AgentTuning {
    /** The unresponsiveAfter of a VM for which neither its spec nor a policy sets one. */
    public static final int DEFAULT_UNRESPONSIVE_AFTER = 3;

    @JsonPropertyDescription("Agent response timeout with libvirt's meaning: seconds (>= 1), or -2/Block (wait forever), "
            + "-1/Default (5 seconds), 0/NoWait (fail unless the reply is already there).")
    private IntOrString responseTimeout;

    @JsonPropertyDescription("Per-command response timeouts (qemu-ga command name to timeout), overriding responseTimeout.")
    @Size(max = Bounds.COMMANDS)
    private Map<String, IntOrString> commandTimeouts;

    @JsonPropertyDescription("Poll interval per group of guest information.")
    private PollIntervals pollIntervals;

    @JsonPropertyDescription("qemu-ga commands never sent to the guest.")
    @Size(max = Bounds.COMMANDS)
    private List<@Pattern(Patterns.AGENT_COMMAND) @Size(max = Bounds.COMMAND) String> blockedCommands;

    @JsonPropertyDescription("Consecutive timeouts after which the agent counts as unresponsive.")
    @Min(1)
    @Max(Bounds.UNRESPONSIVE_AFTER)
    private Integer unresponsiveAfter;

    public IntOrString getResponseTimeout() {
        return responseTimeout;
    }

    public void setResponseTimeout(IntOrString responseTimeout) {
        this.responseTimeout = responseTimeout;
    }

    public Map<String, IntOrString> getCommandTimeouts() {
        return commandTimeouts;
    }

    public void setCommandTimeouts(Map<String, IntOrString> commandTimeouts) {
        this.commandTimeouts = commandTimeouts;
    }

    public PollIntervals getPollIntervals() {
        return pollIntervals;
    }

    public void setPollIntervals(PollIntervals pollIntervals) {
        this.pollIntervals = pollIntervals;
    }

    public List<String> getBlockedCommands() {
        return blockedCommands;
    }

    public void setBlockedCommands(List<String> blockedCommands) {
        this.blockedCommands = blockedCommands;
    }

    public Integer getUnresponsiveAfter() {
        return unresponsiveAfter;
    }

    public void setUnresponsiveAfter(Integer unresponsiveAfter) {
        this.unresponsiveAfter = unresponsiveAfter;
    }
}
