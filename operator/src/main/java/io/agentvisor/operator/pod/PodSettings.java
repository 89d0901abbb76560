package io.agentvisor.operator.pod;

import java.util.List;
import java.util.Objects;

/**
 * The operator's settings for every VM pod (from {@code agentvisor.*} configuration).
 *
 * @param launcherImage            image with qemu-system-x86_64, a Java 17 JRE and the launcher jar
 * @param imagePullPolicy          Always, IfNotPresent or Never
 * @param tbSizeMiB                QEMU's TCG translation buffer ({@code -accel tcg,tb-size=N})
 * @param memoryOverheadMiB        added to the VM's memory for the pod's request and limit: QEMU's own memory
 *                                 (translation buffer included) and the launcher's JVM
 * @param cpuRequestMilliPerCore   CPU request per virtual core, in millicores
 * @param terminationGraceSeconds  the pod's terminationGracePeriodSeconds: the whole graceful stop must fit
 * @param guestShutdownWaitSeconds how long the launcher waits after SIGTERM for the guest to stop on its own (the
 *                                 node driver's guest-agent shutdown) before it presses the ACPI power button
 * @param launcherJvmOptions       JVM options of the launcher (small heap, serial GC)
 * @param acceleration             TCG, or KVM from the nodes' device plugin ({@link Acceleration})
 */
public record PodSettings(String launcherImage, String imagePullPolicy, int tbSizeMiB, long memoryOverheadMiB,
        int cpuRequestMilliPerCore, long terminationGraceSeconds, long guestShutdownWaitSeconds,
        List<String> launcherJvmOptions, Acceleration acceleration) {

    public static final String LAUNCHER_JAR = "/opt/agentvisor/vm-launcher/agentvisor-vm-launcher.jar";
    public static final List<String> DEFAULT_JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-Xms8m", "-Xmx24m",
            "-Xss512k", "-XX:MaxMetaspaceSize=48m", "-XX:ReservedCodeCacheSize=16m", "-XX:TieredStopAtLevel=1",
            "-XX:-UsePerfData", "-Xshare:auto");

    public PodSettings {
        Objects.requireNonNull(launcherImage, "launcher image");
        if (launcherImage.isBlank()) {
            throw new IllegalArgumentException("agentvisor.launcher-image: is empty");
        }
        if (!List.of("Always", "IfNotPresent", "Never").contains(imagePullPolicy)) {
            throw new IllegalArgumentException("agentvisor.launcher-image-pull-policy: \"" + imagePullPolicy
                    + "\" is not one of Always, IfNotPresent, Never");
        }
        if (tbSizeMiB < 1 || tbSizeMiB > 1024) {
            throw new IllegalArgumentException("agentvisor.vm.tb-size-mib: " + tbSizeMiB + " is not between 1 and 1024");
        }
        if (memoryOverheadMiB < tbSizeMiB) {
            throw new IllegalArgumentException("agentvisor.vm.memory-overhead-mib: " + memoryOverheadMiB
                    + " is less than the translation buffer alone (" + tbSizeMiB + " MiB)");
        }
        if (cpuRequestMilliPerCore < 1 || cpuRequestMilliPerCore > 1000) {
            throw new IllegalArgumentException("agentvisor.vm.cpu-request-millis-per-core: " + cpuRequestMilliPerCore
                    + " is not between 1 and 1000");
        }
        if (guestShutdownWaitSeconds < 0) {
            throw new IllegalArgumentException("agentvisor.vm.guest-shutdown-wait: must not be negative");
        }
        if (terminationGraceSeconds < guestShutdownWaitSeconds + 10) {
            throw new IllegalArgumentException("agentvisor.vm.termination-grace-period: " + terminationGraceSeconds
                    + " s leaves no time for ACPI and quit after the " + guestShutdownWaitSeconds
                    + " s guest-shutdown wait (needs at least 10 s more)");
        }
        launcherJvmOptions = List.copyOf(launcherJvmOptions);
        Objects.requireNonNull(acceleration, Acceleration.KEY);
    }
}
