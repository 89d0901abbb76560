package io.agentvisor.driver;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Configuration keys {@code agentvisor.driver.kvm.*}: the KVM device plugin (env AGENTVISOR_DRIVER_KVM_*). */
@ConfigMapping(prefix = "agentvisor.driver.kvm")
public interface KvmSettings {
    /**
     * Offer the extended resource {@code devices.agentvisor.io/kvm} to the kubelet (a device plugin) while the KVM
     * probe passes; VM pods that request it get {@code /dev/kvm}.
     */
    @WithDefault("true")
    boolean devicePlugin();

    /**
     * The kubelet's device-plugins directory as mounted in the driver. Kubernetes fixes it at
     * /var/lib/kubelet/device-plugins whatever the kubelet's --root-dir.
     */
    @WithDefault("/var/lib/kubelet/device-plugins")
    String devicePluginDir();

    /** How many devices the plugin offers: at most that many VM pods with KVM on the node (KubeVirt: 1000). */
    @WithDefault("1000")
    int deviceCount();

    /**
     * How often the driver runs its KVM probe again (a node whose KVM stops working stops offering it; one that
     * starts working starts); 0 probes once, at the driver's start.
     */
    @WithDefault("10m")
    Duration reprobeInterval();

    /**
     * FOR TESTS ONLY: offer the KVM resource even though the probe failed (the Node's label and the probe's reason
     * still say what the probe found). Lets a test on a node without working KVM check the device plugin path.
     */
    @WithDefault("false")
    boolean testOnlyAssumeAvailable();
}
