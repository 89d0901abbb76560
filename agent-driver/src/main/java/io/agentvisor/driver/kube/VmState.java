package io.agentvisor.driver.kube;

import io.agentvisor.driver.credentials.CredentialSync;

/**
 * What the driver sees of one VM pod's QEMU, for the status builder.
 *
 * @param qemu            the QEMU the driver is attached to; null when not attached (not running)
 * @param run             what the Running condition says
 * @param agentConfigured whether the VM has an agent channel
 * @param credentials     what AccessCredentialsSynchronized says ({@link CredentialSync#NONE}: no such condition;
 *                        null: not worked out yet, the stored condition stays)
 */
record VmState(Qemu qemu, RunState run, boolean agentConfigured, CredentialSync.Wanted credentials) {

    VmState(Qemu qemu, RunState run, boolean agentConfigured) {
        this(qemu, run, agentConfigured, CredentialSync.NONE);
    }

    /**
     * An attached QEMU (paused counts as running, as in libvirt).
     *
     * @param pid         QEMU's pid on the node (null when not found)
     * @param accelerator kvm or tcg, as QEMU reports it (query-kvm); null until known
     */
    record Qemu(Long pid, String accelerator) {
    }

    boolean running() {
        return qemu != null;
    }
}
