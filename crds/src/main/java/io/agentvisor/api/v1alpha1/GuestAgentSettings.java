package io.agentvisor.api.v1alpha1;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.kubernetes.api.model.IntOrString;

/**
 * {@code spec.guestAgent} of a VirtualMachine. Every field left out is taken from the winning GuestAgentPolicy,
 * else from the product default (see {@code status.agentPolicy}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@SchemaCustomizer(value = IntOrStringRules.class, input = Patterns.TIMEOUT_RULE)
@SchemaCustomizer(value = IntOrStringRules.class, input = Patterns.COMMAND_TIMEOUTS_RULE)
public class GuestAgentSettings {

    @JsonPropertyDescription("Attach a guest agent channel to the VM.")
    @Default("true")
    private Boolean enabled;

    @JsonPropertyDescription("Agent response timeout with libvirt's meaning: seconds (>= 1), or -2/Block (wait forever), "
            + "-1/Default (5 seconds), 0/NoWait (fail unless the reply is already there).")
    private IntOrString responseTimeout;

    @JsonPropertyDescription("Per-command response timeouts (qemu-ga command name to timeout), overriding responseTimeout.")
    private Map<String, IntOrString> commandTimeouts;

    @JsonPropertyDescription("Poll interval per group of guest information.")
    private PollIntervals pollIntervals;

    @JsonPropertyDescription("qemu-ga commands never sent to this guest.")
    private List<@Pattern(Patterns.AGENT_COMMAND) String> blockedCommands;

    @JsonPropertyDescription("Consecutive timeouts after which the agent counts as unresponsive.")
    @Min(1)
    private Integer unresponsiveAfter;

    public Boolean getEnabled() {
        return enabled;
    }

    public void setEnabled(Boolean enabled) {
        this.enabled = enabled;
    }

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
