package io.agentvisor.agent;

/** guest-get-osinfo. Every field may be null: agents fill in what the guest's os-release/uname provide. */
public record GuestOsInfo(String id, String name, String prettyName, String version, String versionId,
                          String variant, String variantId, String kernelRelease, String kernelVersion,
                          String machine) {
}
