package io.agentvisor.api.v1alpha1;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;

/**
 * {@code status.agentPolicy}: the effective guest agent settings of a VM, resolved by the operator field by field
 * (VM spec.guestAgent, else the winning GuestAgentPolicy, else the product default) and applied by the driver.
 * Every setting is always present (so the driver needs no defaults of its own); {@code policy} and
 * {@code overrides} only when they apply.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class AgentPolicyStatus {

    @JsonPropertyDescription("Whether the VM gets a guest agent channel.")
    private Boolean enabled;

    @JsonPropertyDescription("Response timeout as libvirt's integer: -2 block, -1 default (5 s), 0 no wait, N seconds.")
    @Min(-2)
    @Max(Bounds.TIMEOUT_SECONDS)
    private Integer responseTimeout;

    @JsonPropertyDescription("Per-command timeouts as libvirt integers.")
    @Size(max = Bounds.COMMANDS)
    private Map<String, @Min(-2) @Max(Bounds.TIMEOUT_SECONDS) Integer> commandTimeouts;

    @JsonPropertyDescription("Poll interval per group, Kubernetes durations.")
    private PollIntervals pollIntervals;

    @Size(max = Bounds.COMMANDS)
    private List<@Size(max = Bounds.COMMAND) String> blockedCommands;

    @Min(1)
    @Max(Bounds.UNRESPONSIVE_AFTER)
    private Integer unresponsiveAfter;

    @JsonPropertyDescription("Where responseTimeout came from: VirtualMachine, GuestAgentPolicy/<namespace>/<name> or Default.")
    @Size(max = Bounds.NAME)
    private String source;

    @JsonPropertyDescription("The winning GuestAgentPolicy (GuestAgentPolicy/<namespace>/<name>), if any matched.")
    @Size(max = Bounds.NAME)
    private String policy;

    @JsonPropertyDescription("Fields taken from the VM's own spec.guestAgent.")
    @Size(max = Bounds.CONDITIONS)
    private List<@Size(max = Bounds.SHORT) String> overrides;

    public Boolean getEnabled() {
        return enabled;
    }

    public void setEnabled(Boolean enabled) {
        this.enabled = enabled;
    }

    public Integer getResponseTimeout() {
        return responseTimeout;
    }

    public void setResponseTimeout(Integer responseTimeout) {
        this.responseTimeout = responseTimeout;
    }

    public Map<String, Integer> getCommandTimeouts() {
        return commandTimeouts;
    }

    public void setCommandTimeouts(Map<String, Integer> commandTimeouts) {
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

    public String getSource() {
        return source;
    }

    public void setSource(String source) {
        this.source = source;
    }

    public String getPolicy() {
        return policy;
    }

    public void setPolicy(String policy) {
        this.policy = policy;
    }

    public List<String> getOverrides() {
        return overrides;
    }

    public void setOverrides(List<String> overrides) {
        this.overrides = overrides;
    }
}
