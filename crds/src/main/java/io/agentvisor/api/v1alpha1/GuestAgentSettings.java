package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.Default;

/**
 * {@code spec.guestAgent} of a VirtualMachine. Every field left out is taken from the winning GuestAgentPolicy,
 * else from the product default (see {@code status.agentPolicy}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@SchemaCustomizer(value = IntOrStringRules.class, input = Patterns.TIMEOUT_RULE)
@SchemaCustomizer(value = IntOrStringRules.class, input = Patterns.COMMAND_TIMEOUTS_RULE)
public class GuestAgentSettings extends AgentTuning {

    @JsonPropertyDescription("Attach a guest agent channel to the VM.")
    @Default("true")
    private Boolean enabled;

    public Boolean getEnabled() {
        return enabled;
    }

    public void setEnabled(Boolean enabled) {
        this.enabled = enabled;
    }
}
