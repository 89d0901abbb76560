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

    /**
     * What the Running condition says about one VM pod's QEMU: its reason and message, set together.
     *
     * @param reason  the condition's reason
     * @param message the condition's message, for people
     */
    record RunState(Reason reason, String message) {

        /** The reasons of the Running condition (their names are the API's). */
        enum Reason {
            /** Looking for QEMU's QMP socket in the pod, or it does not answer yet. */
            Attaching,
            Running,
            /** QEMU runs with its vCPUs stopped (counts as running, as in libvirt). */
            Paused,
            /** The pod is being deleted: the guest was asked to shut down. */
            Stopping,
            /** QEMU ended after a guest shutdown or a stop, or the pod ended or is gone. */
            Stopped,
            /** QEMU ended on its own without a guest shutdown. */
            QemuExited
        }
    }
}
