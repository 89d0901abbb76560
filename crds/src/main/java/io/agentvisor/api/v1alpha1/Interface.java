package io.agentvisor.api.v1alpha1;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/**
 * A guest network interface on the pod network, KubeVirt's {@code interfaces[]} shape with masquerade semantics:
 * QEMU user-mode networking inside the VM's pod; the guest reaches out through the pod's address and each listed
 * port is forwarded from the pod to the guest.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Interface {

    @JsonPropertyDescription("Interface name, a DNS label.")
    @Required
    @Pattern(Patterns.DNS_LABEL)
    @Size(max = 63)
    private String name;

    @JsonPropertyDescription("Ports forwarded from the pod to the guest (a Service selecting the VM's pod reaches them).")
    @Size(max = 32)
    private List<Port> ports;

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public List<Port> getPorts() {
        return ports;
    }

    public void setPorts(List<Port> ports) {
        this.ports = ports;
    }
}
