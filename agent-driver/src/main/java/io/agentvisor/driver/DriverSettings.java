package io.agentvisor.driver;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Configuration keys {@code agentvisor.driver.*} (env: AGENTVISOR_DRIVER_*; the node name also from NODE_NAME). */
@ConfigMapping(prefix = "agentvisor.driver")
public interface DriverSettings {
    /** The node this driver runs VMs for (downward API: env NODE_NAME). */
    @WithName("node-name")
    String nodeName();

    /** Per-VM state (QEMU records, applied agent settings, console logs). */
    @WithDefault("/var/lib/agentvisor")
    String stateDir();

    /** Sockets (QMP, agent); kept short for AF_UNIX's ~107-byte limit. */
    @WithDefault("/run/agentvisor")
    String runDir();

    /** Where VM kernels, initrds and disks may come from. */
    @WithDefault("/var/lib/agentvisor/images")
    List<String> imageDirs();

    /** Namespace of the node Leases (the operator's namespace). */
    @WithDefault("agentvisor-system")
    String leaseNamespace();

    /** auto (probe KVM once, else TCG), kvm or tcg. */
    @WithDefault("auto")
    String accelerator();

    @WithDefault("qemu-system-x86_64")
    String qemuBinary();

    /** How long a graceful stop may take before QEMU is told to quit. */
    @WithDefault("30s")
    Duration stopGrace();

    /**
     * Stop every VM gracefully when the driver exits (env AGENTVISOR_DRIVER_STOP_VMS_ON_EXIT). Off by default: a
     * driver restart must never stop a VM. On for `make run` and for pods whose QEMUs live in the driver's pod.
     */
    @WithDefault("false")
    boolean stopVmsOnExit();

    @WithDefault("10s")
    Duration restartBackoffInitial();

    @WithDefault("5m")
    Duration restartBackoffMax();

    /** Memory announced for VMs on the Lease; default: the host's MemTotal. */
    Optional<String> capacityMemory();

    /** Extra node labels published on the Lease (matched by spec.nodeSelector). */
    Map<String, String> nodeLabels();
}
