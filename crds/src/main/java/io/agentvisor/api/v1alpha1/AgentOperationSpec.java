package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.IntOrString;

/**
 * What every agent operation's {@code spec} has (GuestCommand, GuestMaintenance): the VM it runs against, its own
 * timeout and how long the object stays after it finished.
 */
public abstract class AgentOperationSpec {
    @JsonPropertyDescription("The VirtualMachine (same namespace) whose guest agent runs the operation.")
    @Required
    @Pattern(Patterns.DNS_SUBDOMAIN)
    @Size(max = 253)
    private String virtualMachine;

    @JsonPropertyDescription("Response timeout of this operation's agent calls, libvirt's meaning (-2/Block, -1/Default, 0/NoWait, N seconds); left out: the VM's effective timeout. It sets the command wait; the guest-sync before it waits by the VM's timeout.")
    private IntOrString timeout;

    @JsonPropertyDescription("Seconds after completion after which the driver deletes this object.")
    @Default("600")
    @Min(0)
    @Max(604800)
    private Integer ttlSecondsAfterFinished;

    public String getVirtualMachine() {
        return virtualMachine;
    }

    public void setVirtualMachine(String virtualMachine) {
        this.virtualMachine = virtualMachine;
    }

    public IntOrString getTimeout() {
        return timeout;
    }

    public void setTimeout(IntOrString timeout) {
        this.timeout = timeout;
    }

    public Integer getTtlSecondsAfterFinished() {
        return ttlSecondsAfterFinished;
    }

    public void setTtlSecondsAfterFinished(Integer ttlSecondsAfterFinished) {
        this.ttlSecondsAfterFinished = ttlSecondsAfterFinished;
    }
}
