package io.agentvisor.operator;

import java.util.Optional;

import io.agentvisor.operator.pod.Acceleration;
import io.agentvisor.operator.pod.PodSettings;

/** The VM pods' settings from the operator's configuration ({@code agentvisor.launcher-image}, {@code agentvisor.vm.*}). */
final class VmPodConfig {
    private VmPodConfig() {
    }

    /** The settings, or an IllegalArgumentException naming the configuration key and the reason. */
    static PodSettings podSettings(OperatorConfig config) {
        OperatorConfig.Vm vm = config.vm();
        return new PodSettings(config.launcherImage(), config.launcherImagePullPolicy(), vm.tbSizeMib(),
                vm.memoryOverheadMib(), vm.cpuRequestMillisPerCore(), vm.terminationGracePeriod().toSeconds(),
                vm.guestShutdownWait().toSeconds(),
                vm.launcherJvmOptions().orElse(PodSettings.DEFAULT_JVM_OPTIONS), Acceleration.parse(vm.acceleration()));
    }

    /** One line naming the problem with the VM pod settings, or empty. */
    static Optional<String> check(OperatorConfig config) {
        try {
            podSettings(config);
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }
}
