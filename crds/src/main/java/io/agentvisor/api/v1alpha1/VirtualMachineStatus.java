package io.agentvisor.api.v1alpha1;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;

/**
 * Status of a VirtualMachine. Two writers, one field manager each (server-side apply):
 * <ul>
 * <li>operator ({@link Agentvisor#OPERATOR_FIELD_MANAGER}): {@code agentPolicy}, and from the VM's pod
 * {@code phase}, {@code nodeName}, {@code podName}, {@code restartCount}, {@code lastTermination}; conditions
 * {@code Scheduled}, {@code PolicyApplied}, {@code SpecValid};</li>
 * <li>agent-driver ({@link Agentvisor#DRIVER_FIELD_MANAGER}): {@code qemu}, {@code agent}, {@code guest},
 * conditions {@code Running}, {@code AgentConnected}, {@code AgentResponsive}, {@code Ready},
 * {@code AccessCredentialsSynchronized}.</li>
 * </ul>
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@SchemaCustomizer(value = ConditionsMapList.class, input = "conditions")
public class VirtualMachineStatus {

    // ---- operator ----
    @JsonPropertyDescription("Effective guest agent settings resolved by the operator; the driver applies these.")
    private AgentPolicyStatus agentPolicy;

    @JsonPropertyDescription("Lifecycle phase, from the VM's pod.")
    private Phase phase;

    @JsonPropertyDescription("Node the VM's pod is bound to (by kube-scheduler).")
    @Size(max = 253)
    private String nodeName;

    @JsonPropertyDescription("Name of the VM's pod (same namespace).")
    @Size(max = 253)
    private String podName;

    @JsonPropertyDescription("How often the kubelet restarted the VM's QEMU container in the current pod.")
    @Min(0)
    @Max(Integer.MAX_VALUE)
    private Integer restartCount;

    @JsonPropertyDescription("How the VM's QEMU container last ended (e.g. reason OOMKilled).")
    private Termination lastTermination;

    // ---- agent-driver ----
    private QemuStatus qemu;

    private AgentStatus agent;

    @JsonPropertyDescription("Last known good guest information (never blanked because one poll failed).")
    private GuestStatus guest;

    // ---- both (map list keyed by type) ----
    @Size(max = Bounds.CONDITIONS)
    private List<Condition> conditions;

    public AgentPolicyStatus getAgentPolicy() {
        return agentPolicy;
    }

    public void setAgentPolicy(AgentPolicyStatus agentPolicy) {
        this.agentPolicy = agentPolicy;
    }

    public String getNodeName() {
        return nodeName;
    }

    public void setNodeName(String nodeName) {
        this.nodeName = nodeName;
    }

    public String getPodName() {
        return podName;
    }

    public void setPodName(String podName) {
        this.podName = podName;
    }

    public Integer getRestartCount() {
        return restartCount;
    }

    public void setRestartCount(Integer restartCount) {
        this.restartCount = restartCount;
    }

    public Termination getLastTermination() {
        return lastTermination;
    }

    public void setLastTermination(Termination lastTermination) {
        this.lastTermination = lastTermination;
    }

    public Phase getPhase() {
        return phase;
    }

    public void setPhase(Phase phase) {
        this.phase = phase;
    }

    public QemuStatus getQemu() {
        return qemu;
    }

    public void setQemu(QemuStatus qemu) {
        this.qemu = qemu;
    }

    public AgentStatus getAgent() {
        return agent;
    }

    public void setAgent(AgentStatus agent) {
        this.agent = agent;
    }

    public GuestStatus getGuest() {
        return guest;
    }

    public void setGuest(GuestStatus guest) {
        this.guest = guest;
    }

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }
}
