package io.agentvisor.api.v1alpha1;

/** API-wide names: group, labels, field managers, finalizer. */
public final class Agentvisor {
    public static final String GROUP = "agentvisor.io";
    public static final String VERSION = "v1alpha1";
    public static final String API_VERSION = GROUP + "/" + VERSION;

    /** Server-side-apply field manager of the operator (VM: agentPolicy, phase, nodeName, podName, ...; policy status). */
    public static final String OPERATOR_FIELD_MANAGER = "agentvisor-operator";
    /** Server-side-apply field manager of the agent-driver (VM: qemu, agent, guest, its conditions). */
    public static final String DRIVER_FIELD_MANAGER = "agentvisor-driver";

    /** Finalizer the agent-driver puts on a VM it runs, so that QEMU is stopped before the VM goes away. */
    public static final String FINALIZER = "agentvisor.io/qemu";

    private Agentvisor() {
    }
}
