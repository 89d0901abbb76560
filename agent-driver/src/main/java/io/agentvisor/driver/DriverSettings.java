package io.agentvisor.driver;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.time.Duration;

/** Configuration keys {@code agentvisor.driver.*} (env: AGENTVISOR_DRIVER_*; the node name also from NODE_NAME). */
@ConfigMapping(prefix = "agentvisor.driver")
public interface DriverSettings {
    /** The node whose VM pods this driver attaches to (downward API: env NODE_NAME). */
    @WithName("node-name")
    String nodeName();

    /**
     * The driver's own directory for the short links to each VM pod's socket directory (AF_UNIX paths are limited
     * to 107 bytes, the kubelet's pod volume paths are longer). Keep it short.
     */
    @WithDefault("/run/agentvisor")
    String runDir();

    /**
     * The kubelet's root directory as mounted in the driver (mount it read-only at the same path as on the host);
     * VM pods' sockets are under {@code <dir>/pods/<pod uid>/volumes/kubernetes.io~empty-dir/agentvisor-run/}.
     */
    @WithDefault("/var/lib/kubelet")
    String kubeletRootDir();

    /** Where /proc of the host's pid namespace is (the driver runs with hostPID), to find each QEMU's host pid. */
    @WithDefault("/proc")
    String procDir();

    /** The QEMU the KVM probe runs (the same build the VM pods run). */
    @WithDefault("qemu-system-x86_64")
    String qemuBinary();

    /** The KVM device the probe checks first. */
    @WithDefault("/dev/kvm")
    String kvmDevice();

    /** How long the probe's guest code may take to reach its exit under KVM. */
    @WithDefault("10s")
    Duration kvmProbeTimeout();

    /** Configuration keys {@code agentvisor.driver.kvm.*}: the KVM device plugin (env AGENTVISOR_DRIVER_KVM_*). */
    Kvm kvm();

    interface Kvm {
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
}
