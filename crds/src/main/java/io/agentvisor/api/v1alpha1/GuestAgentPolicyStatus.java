package io.agentvisor.api.v1alpha1;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;

/** Status of a GuestAgentPolicy, written by the operator. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@SchemaCustomizer(value = ConditionsMapList.class, input = "conditions")
public class GuestAgentPolicyStatus {

    @JsonPropertyDescription("Number of VirtualMachines this policy governs (it is their winning policy).")
    @Min(0)
    @Max(Integer.MAX_VALUE)
    private Integer virtualMachines;

    @JsonPropertyDescription("metadata.generation last processed.")
    @Min(0)
    @Max(Bounds.GENERATION)
    private Long observedGeneration;

    @JsonPropertyDescription("Conditions Accepted and Conflict.")
    @Size(max = Bounds.CONDITIONS)
    private List<Condition> conditions;

    public Integer getVirtualMachines() {
        return virtualMachines;
    }

    public void setVirtualMachines(Integer virtualMachines) {
        this.virtualMachines = virtualMachines;
    }

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }
}
