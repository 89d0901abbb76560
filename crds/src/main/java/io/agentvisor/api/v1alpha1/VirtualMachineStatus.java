package io.agentvisor.api.v1alpha1;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;

/**
 * Status of a VirtualMachine. Two writers, one field manager each (server-side apply):
 * <ul>
 * <li>operator ({@link Agentvisor#OPERATOR_FIELD_MANAGER}): {@code agentPolicy}, {@code nodeName}, conditions
 * {@code Scheduled}, {@code PolicyApplied}, {@code SpecValid}, {@code NodeLost};</li>
 * <li>agent-driver ({@link Agentvisor#DRIVER_FIELD_MANAGER}): {@code phase}, {@code qemu}, {@code agent},
 * {@code guest}, conditions {@code Running}, {@code AgentConnected}, {@code AgentResponsive}, {@code Ready}.</li>
 * </ul>
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@SchemaCustomizer(value = ConditionsMapList.class, input = "conditions")
public class VirtualMachineStatus {

    // ---- operator ----
    @JsonPropertyDescription("Effective guest agent settings resolved by the operator; the driver applies these.")
    private AgentPolicyStatus agentPolicy;

    @JsonPropertyDescription("Node the VM is placed on (also the label agentvisor.io/node).")
    private String nodeName;

    // ---- agent-driver ----
    @JsonPropertyDescription("Lifecycle phase reported by the node's agent-driver.")
    private Phase phase;

    private QemuStatus qemu;

    private AgentStatus agent;

    @JsonPropertyDescription("Last known good guest information (never blanked because one poll failed).")
    private GuestStatus guest;

    // ---- both (map list keyed by type) ----
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
