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
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;

@JsonInclude(JsonInclude.Include.NON_NULL)
@SchemaCustomizer(value = IntOrStringRules.class, input = Patterns.MEMORY_RULE)
@SchemaCustomizer(value = PassThroughBounds.class, input = "affinity;32;1024")
@SchemaCustomizer(value = PassThroughBounds.class, input = "tolerations;32;1024")
@SchemaCustomizer(value = PassThroughBounds.class, input = "nodeSelector;32;1024")
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

    @JsonPropertyDescription("Disks, attached in order: an image file in a PersistentVolumeClaim of the VM's namespace "
            + "(writable or read-only), or a read-only image on the node inside an allowed image directory.")
    @Size(max = 16)
    private List<Disk> disks;

    @JsonPropertyDescription("Network interfaces on the pod network (QEMU user-mode networking inside the VM's pod: "
            + "the guest reaches out through the pod's address; listed ports are forwarded from the pod to the guest). "
            + "Absent: one interface without forwarded ports. Empty list: no network.")
    @Size(max = 1)
    private List<Interface> interfaces;

    @JsonPropertyDescription("Node labels the VM's pod requires (the pod's nodeSelector).")
    @Size(max = 32)
    private Map<String, String> nodeSelector;

    @JsonPropertyDescription("Scheduling constraints of the VM's pod (Kubernetes' core/v1 Affinity, passed through).")
    private Affinity affinity;

    @JsonPropertyDescription("Tolerations of the VM's pod (Kubernetes' core/v1 Toleration, passed through).")
    @Size(max = 32)
    private List<Toleration> tolerations;

    @JsonPropertyDescription("PriorityClass of the VM's pod (scheduling order and preemption).")
    @Size(max = 253)
    @Pattern(Patterns.DNS_SUBDOMAIN)
    private String priorityClassName;

    @JsonPropertyDescription("Guest agent settings of this VM; fields set here override any GuestAgentPolicy.")
    private GuestAgentSettings guestAgent;

    @JsonPropertyDescription("Credentials propagated into the guest by its guest agent: authorized SSH keys and user "
            + "passwords from Secrets of the VM's namespace (KubeVirt's accessCredentials). Each Secret is a read-only "
            + "volume of the VM's pod, so only the kubelet of the VM's node fetches it; edits of a Secret reach the guest "
            + "within about a minute; a changed list applies when the pod is replaced (condition RestartRequired).")
    @Size(max = Bounds.ACCESS_CREDENTIALS)
    private List<AccessCredential> accessCredentials;

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

    public List<Interface> getInterfaces() {
        return interfaces;
    }

    public void setInterfaces(List<Interface> interfaces) {
        this.interfaces = interfaces;
    }

    public Affinity getAffinity() {
        return affinity;
    }

    public void setAffinity(Affinity affinity) {
        this.affinity = affinity;
    }

    public List<Toleration> getTolerations() {
        return tolerations;
    }

    public void setTolerations(List<Toleration> tolerations) {
        this.tolerations = tolerations;
    }

    public String getPriorityClassName() {
        return priorityClassName;
    }

    public void setPriorityClassName(String priorityClassName) {
        this.priorityClassName = priorityClassName;
    }

    public GuestAgentSettings getGuestAgent() {
        return guestAgent;
    }

    public void setGuestAgent(GuestAgentSettings guestAgent) {
        this.guestAgent = guestAgent;
    }

    public List<AccessCredential> getAccessCredentials() {
        return accessCredentials;
    }

    public void setAccessCredentials(List<AccessCredential> accessCredentials) {
        this.accessCredentials = accessCredentials;
    }
}
