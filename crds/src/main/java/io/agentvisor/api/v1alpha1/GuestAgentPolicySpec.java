package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.LabelSelector;

@JsonInclude(JsonInclude.Include.NON_NULL)
@SchemaCustomizer(value = IntOrStringRules.class, input = Patterns.TIMEOUT_RULE)
@SchemaCustomizer(value = PassThroughBounds.class, input = "selector;32;317")
@SchemaCustomizer(value = IntOrStringRules.class, input = Patterns.COMMAND_TIMEOUTS_RULE)
public class GuestAgentPolicySpec extends AgentTuning {

    @JsonPropertyDescription("VirtualMachines of this namespace the policy applies to; {} selects all of them.")
    @Required
    private LabelSelector selector;

    @JsonPropertyDescription("Higher wins when several policies match a VM; a tie is broken by name.")
    @Default("0")
    @Min(-Bounds.PRIORITY)
    @Max(Bounds.PRIORITY)
    private Integer priority;

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
}
