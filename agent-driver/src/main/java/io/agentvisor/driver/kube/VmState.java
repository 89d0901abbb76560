package io.agentvisor.driver.kube;

import io.agentvisor.api.v1alpha1.Phase;

/**
 * What the VM's runtime says about QEMU, for the status builder.
 *
 * @param runningReason  reason of the Running condition (Running, Paused, Starting, Stopping, Stopped,
 *                       CrashLoopBackOff, Failed, InvalidSpec)
 * @param agentConfigured whether the VM has an agent channel
 */
public record VmState(Phase phase, Long pid, String accelerator, boolean running, String runningReason,
        String message, boolean agentConfigured) {
}
