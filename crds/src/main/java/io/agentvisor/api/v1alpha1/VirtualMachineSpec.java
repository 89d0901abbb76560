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
import io.fabric8.kubernetes.api.model.Quantity;

@JsonInclude(JsonInclude.Include.NON_NULL)
@SchemaCustomizer(value = IntOrStringRules.class, input = Patterns.MEMORY_RULE)
public class VirtualMachineSpec {

    @JsonPropertyDescription("When the VM should run: Always, Halted, RerunOnFailure, Manual or Once (KubeVirt's meanings).")
    @Default("Always")
    private RunStrategy runStrategy = RunStrategy.Always;

    @JsonPropertyDescription("Virtual CPUs.")
    private Cpu cpu;

    @JsonPropertyDescription("Guest memory, a Kubernetes quantity such as 256Mi or 1Gi.")
    @Required
    private Quantity memory;

    @JsonPropertyDescription("Direct kernel boot: kernel, initrd and command line on the node.")
    private Boot boot;

    @JsonPropertyDescription("Disk images on the node, attached in order.")
    private List<Disk> disks;

    @JsonPropertyDescription("Labels a node (its Lease) must carry for the VM to be placed there.")
    private Map<String, String> nodeSelector;

    @JsonPropertyDescription("Guest agent settings of this VM; fields set here override any GuestAgentPolicy.")
    private GuestAgentSettings guestAgent;

    public RunStrategy getRunStrategy() {
        return runStrategy;
    }

    public void setRunStrategy(RunStrategy runStrategy) {
        this.runStrategy = runStrategy;
    }

    public Cpu getCpu() {
        return cpu;
    }

    public void setCpu(Cpu cpu) {
        this.cpu = cpu;
    }

    public Quantity getMemory() {
        return memory;
    }

    public void setMemory(Quantity memory) {
        this.memory = memory;
    }

    public Boot getBoot() {
        return boot;
    }

    public void setBoot(Boot boot) {
        this.boot = boot;
    }

    public List<Disk> getDisks() {
        return disks;
    }

    public void setDisks(List<Disk> disks) {
        this.disks = disks;
    }

    public Map<String, String> getNodeSelector() {
        return nodeSelector;
    }

    public void setNodeSelector(Map<String, String> nodeSelector) {
        this.nodeSelector = nodeSelector;
    }

    public GuestAgentSettings getGuestAgent() {
        return guestAgent;
    }

    public void setGuestAgent(GuestAgentSettings guestAgent) {
        this.guestAgent = guestAgent;
    }
}
