package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** A port forwarded from the VM's pod to the same port in the guest (KubeVirt's {@code interfaces[].ports[]}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Port {

    @JsonPropertyDescription("Port name (an IANA service name: at most 15 characters), also the pod's containerPort "
            + "name, so a Service can target it by name.")
    @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    @Size(max = 15)
    private String name;

    @JsonPropertyDescription("Port number, the same in the pod and in the guest.")
    @Required
    @Min(1)
    @Max(65535)
    private Integer port;

    @JsonPropertyDescription("TCP or UDP.")
    @Default("TCP")
    private Protocol protocol;

    public enum Protocol {
        TCP, UDP
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public Integer getPort() {
        return port;
    }

    public void setPort(Integer port) {
        this.port = port;
    }

    public Protocol getProtocol() {
        return protocol;
    }

    public void setProtocol(Protocol protocol) {
        this.protocol = protocol;
    }
}
