package io.agentvisor.driver.kube;

import io.agentvisor.driver.lifecycle.Backoff;
import io.agentvisor.driver.qemu.ImageDirs;
import io.agentvisor.driver.qemu.Names;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The driver's settings, resolved (see {@code DriverSettings} for the configuration keys).
 *
 * @param capacityMemory quantity announced on the Lease (annotation agentvisor.io/capacity-memory)
 * @param nodeLabels     published as Lease labels, matched by spec.nodeSelector
 */
public record DriverConfig(String nodeName, Path stateDir, Path runDir, ImageDirs imageDirs, String leaseNamespace,
        String accelerator, String qemuBinary, Duration stopGrace, Backoff backoff, String capacityMemory,
        Map<String, String> nodeLabels) {
    public DriverConfig {
        Names.requireDnsSubdomain("node name (NODE_NAME)", nodeName);
        nodeLabels = Map.copyOf(nodeLabels);
    }
}
