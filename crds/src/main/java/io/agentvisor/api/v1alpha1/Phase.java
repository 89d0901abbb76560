package io.agentvisor.api.v1alpha1;

/** {@code status.phase} of a VirtualMachine, written by the operator from the VM's pod. */
public enum Phase {
    /** The pod is not created yet or not scheduled yet (see the Scheduled condition). */
    Pending,
    /** The pod is bound to a node; its container is not running yet (image pull, volume mounts). */
    Scheduled,
    /** The container is waiting to be (re)started: QEMU exited and the kubelet restarts it with back-off. */
    Starting,
    /** QEMU runs in the pod. */
    Running,
    /** The pod is being deleted: the guest is being shut down within the termination grace. */
    Stopping,
    /** No pod (runStrategy Halted, a Manual stop) or the pod ended successfully (the guest shut down). */
    Stopped,
    /** The pod failed (QEMU exited non-zero, was OOM-killed, or the pod was evicted). */
    Failed,
    /** The pod's node stopped reporting (pod phase Unknown). */
    Unknown
}
