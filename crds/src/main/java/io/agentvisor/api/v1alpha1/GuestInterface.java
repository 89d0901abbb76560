package io.agentvisor.api.v1alpha1;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;

/** One entry of guest-network-get-interfaces. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class GuestInterface {
    @Size(max = Bounds.SHORT)
    private String name;
    @Size(max = Bounds.SHORT)
    private String mac;

    @JsonPropertyDescription("Addresses with prefix length, e.g. 10.0.2.15/24.")
    @Size(max = Bounds.ADDRESSES)
    private List<@Size(max = Bounds.SHORT) String> ipAddresses;

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getMac() {
        return mac;
    }

    public void setMac(String mac) {
        this.mac = mac;
    }

    public List<String> getIpAddresses() {
        return ipAddresses;
    }

    public void setIpAddresses(List<String> ipAddresses) {
        this.ipAddresses = ipAddresses;
    }
}
