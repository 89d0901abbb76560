package io.agentvisor.agent;

import java.util.List;

/** One interface from guest-network-get-interfaces; {@code hardwareAddress} is null for e.g. loopback on some agents. */
public record GuestNetworkInterface(String name, String hardwareAddress, List<IpAddress> ipAddresses) {

    public GuestNetworkInterface {
        ipAddresses = GuestList.copyOf(ipAddresses);
    }

    /** {@code type} is "ipv4" or "ipv6". */
    public record IpAddress(String type, String address, int prefix) {
    }
}
