package io.agentvisor.driver.kube;

/**
 * What the driver sees of one VM pod's QEMU, for the status builder.
 *
 * @param pid             QEMU's pid on the node (null when not found or not running)
 * @param accelerator     kvm or tcg, as QEMU reports it (query-kvm); null until known
 * @param running         attached to a live QEMU (paused counts as running, as in libvirt)
 * @param runningReason   reason of the Running condition (Running, Paused, Attaching, Stopping, Stopped,
 *                        QemuExited)
 * @param agentConfigured whether the VM has an agent channel
 */
public record VmState(Long pid, String accelerator, boolean running, String runningReason, String message,
        boolean agentConfigured) {
}
