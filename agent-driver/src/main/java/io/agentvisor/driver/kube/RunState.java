package io.agentvisor.driver.kube;

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
