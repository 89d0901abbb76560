package io.agentvisor.api.v1alpha1;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;

@JsonInclude(JsonInclude.Include.NON_NULL)
@SchemaCustomizer(value = IntOrStringRules.class, input = Patterns.TIMEOUT_RULE)
@SchemaCustomizer(value = IntOrStringRules.class, input = Patterns.COMMAND_TIMEOUTS_RULE)
public class GuestAgentPolicySpec {

    @JsonPropertyDescription("VirtualMachines of this namespace the policy applies to; {} selects all of them.")
    @Required
    private LabelSelector selector;

    @JsonPropertyDescription("Higher wins when several policies match a VM; a tie is broken by name.")
    @Default("0")
    private Integer priority;

    @JsonPropertyDescription("Agent response timeout with libvirt's meaning: seconds (>= 1), or -2/Block (wait forever), "
            + "-1/Default (5 seconds), 0/NoWait (fail unless the reply is already there).")
    private IntOrString responseTimeout;

    @JsonPropertyDescription("Per-command response timeouts (qemu-ga command name to timeout), overriding responseTimeout.")
    private Map<String, IntOrString> commandTimeouts;

    @JsonPropertyDescription("Poll interval per group of guest information.")
    private PollIntervals pollIntervals;

    @JsonPropertyDescription("qemu-ga commands never sent to the matched guests.")
    private List<@Pattern(Patterns.AGENT_COMMAND) String> blockedCommands;

    @JsonPropertyDescription("Consecutive timeouts after which the agent counts as unresponsive.")
    @Min(1)
    private Integer unresponsiveAfter;

    public LabelSelector getSelector() {
        return selector;
    }

    public void setSelector(LabelSelector selector) {
        this.selector = selector;
    }

    public Integer getPriority() {
        return priority;
    }

    public void setPriority(Integer priority) {
        this.priority = priority;
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
