package io.agentvisor.driver.kube;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

/** The driver's settings, resolved (see {@code DriverSettings} for the configuration keys). */
public record DriverConfig(String nodeName, Path runDir, Path kubeletRootDir, Path procDir, String qemuBinary,
        Path kvmDevice, Duration kvmProbeTimeout) {
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile(
            "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    public DriverConfig {
        if (nodeName == null || nodeName.isBlank()) {
            throw new IllegalArgumentException("agentvisor.driver.node-name (env NODE_NAME) is required: the node "
                    + "whose VM pods this driver serves");
        }
        if (nodeName.length() > 253 || !DNS_SUBDOMAIN.matcher(nodeName).matches()) {
            throw new IllegalArgumentException("agentvisor.driver.node-name (env NODE_NAME) '" + nodeName
                    + "' is not a Kubernetes node name (a DNS subdomain: lower-case letters, digits, '-', '.')");
        }
        runDir = runDir.toAbsolutePath().normalize();
        kubeletRootDir = kubeletRootDir.toAbsolutePath().normalize();
        PodSockets.requireShortRunDir(runDir);
        if (kvmProbeTimeout.isNegative() || kvmProbeTimeout.isZero()) {
            throw new IllegalArgumentException("agentvisor.driver.kvm-probe-timeout must be positive, not "
                    + kvmProbeTimeout);
        }
    }
}
