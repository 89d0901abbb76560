package io.agentvisor.operator;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.agentvisor.agent.ResponseTimeout;
import io.agentvisor.operator.pod.Acceleration;
import io.agentvisor.operator.pod.PodSettings;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

/**
 * Operator settings ({@code agentvisor.*} in application.properties, or AGENTVISOR_* environment variables), and
 * what they are parsed into: {@link #responseTimeout()}, {@link #podSettings()}, checked once at start-up
 * ({@link #problem()}).
 */
@ConfigMapping(prefix = "agentvisor")
public interface OperatorConfig {
    /** The configuration key of the product default response timeout (env {@code AGENTVISOR_DEFAULT_RESPONSE_TIMEOUT}). */
    String RESPONSE_TIMEOUT_KEY = "agentvisor.default-response-timeout";

    Images images();

    /**
     * {@code agentvisor.launcher-image}: the VM pods' image (qemu-system-x86_64, a Java 17 JRE and the launcher at
     * {@value io.agentvisor.operator.pod.PodSettings#LAUNCHER_JAR}). The Helm chart sets it.
     */
    @WithDefault("agentvisor/vm-launcher:0.1.0")
    String launcherImage();

    /** {@code agentvisor.launcher-image-pull-policy}: Always, IfNotPresent or Never. */
    @WithDefault("IfNotPresent")
    String launcherImagePullPolicy();

    Vm vm();

    /**
     * {@code agentvisor.root}: the repository root that the build hands to every test JVM (not used by the operator;
     * declared so that strict config validation accepts it).
     */
    Optional<String> root();

    /**
     * {@code agentvisor.default-response-timeout}: the product default guest agent response timeout, for VMs that
     * neither set {@code spec.guestAgent.responseTimeout} nor are matched by a GuestAgentPolicy that sets one. The
     * forms of the API: an integer &ge; -2 (libvirt's meaning) or {@code Block}, {@code Default}, {@code NoWait}.
     * Checked at start-up ({@link #parseResponseTimeout(String)}).
     */
    @WithName("default-response-timeout")
    @WithDefault("Default")
    String defaultResponseTimeout();

    /** How long the start-up check waits for the API before giving up. */
    @WithDefault("5s")
    Duration startupTimeout();

    /**
     * A configured default response timeout, in the forms of the API (see {@link ResponseTimeout#parse}).
     *
     * @throws IllegalArgumentException with one line naming {@link #RESPONSE_TIMEOUT_KEY} and the reason
     */
    static ResponseTimeout parseResponseTimeout(String configured) {
        return ResponseTimeout.parse(configured, RESPONSE_TIMEOUT_KEY);
    }

    /** The product default response timeout, parsed (see {@link #parseResponseTimeout(String)}). */
    default ResponseTimeout responseTimeout() {
        return parseResponseTimeout(defaultResponseTimeout());
    }

    /**
     * The VM pods' settings ({@code agentvisor.launcher-image}, {@code agentvisor.vm.*}), or an
     * IllegalArgumentException naming the configuration key and the reason.
     */
    default PodSettings podSettings() {
        Vm vm = vm();
        return new PodSettings(launcherImage(), launcherImagePullPolicy(), vm.tbSizeMib(), vm.memoryOverheadMib(),
                vm.cpuRequestMillisPerCore(), vm.terminationGracePeriod().toSeconds(), vm.guestShutdownWait().toSeconds(),
                vm.launcherJvmOptions().orElse(PodSettings.DEFAULT_JVM_OPTIONS), Acceleration.parse(vm.acceleration()));
    }

    /** The first problem with the configuration, as one line, or empty when the operator can start with it. */
    default Optional<String> problem() {
        try {
            responseTimeout();
            podSettings();
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }

    interface Images {
        /** Directories on the nodes that kernels, initrds and disk images must live in. */
        @WithName("allowed-dirs")
        @WithDefault("/var/lib/agentvisor-images")
        List<String> allowedDirs();
    }

    interface Vm {
        /** QEMU's TCG translation buffer in MiB ({@code -accel tcg,tb-size=N}). */
        @WithName("tb-size-mib")
        @WithDefault("32")
        int tbSizeMib();

        /**
         * Added to the VM's memory for the pod's memory request and limit: QEMU's own memory with the translation
         * buffer above (measured: 87 MiB at tb-size 32 for a 256 MiB tiny guest) plus the launcher's JVM (~40 MiB).
         */
        @WithName("memory-overhead-mib")
        @WithDefault("160")
        long memoryOverheadMib();

        /** CPU request per virtual core, in millicores (KubeVirt's 100m). */
        @WithName("cpu-request-millis-per-core")
        @WithDefault("100")
        int cpuRequestMillisPerCore();

        /**
         * The VM pods' terminationGracePeriodSeconds: guest-agent shutdown, then ACPI, then quit must fit in it.
         */
        @WithDefault("90s")
        Duration terminationGracePeriod();

        /** How long the launcher waits after SIGTERM for the guest to stop on its own before pressing ACPI power. */
        @WithDefault("15s")
        Duration guestShutdownWait();

        /** JVM options of the launcher inside each VM pod. */
        Optional<List<String>> launcherJvmOptions();

        /**
         * {@code agentvisor.vm.acceleration}: {@code tcg} (QEMU's emulation, on any node) or {@code kvm} (every VM
         * pod requests one {@code devices.agentvisor.io/kvm}, offered by the node driver only where its KVM probe
         * passed, and runs QEMU under KVM; where no node offers it the VM stays unscheduled with the scheduler's
         * reason). See {@link io.agentvisor.operator.pod.Acceleration}.
         */
        @WithDefault("tcg")
        String acceleration();
    }
}
