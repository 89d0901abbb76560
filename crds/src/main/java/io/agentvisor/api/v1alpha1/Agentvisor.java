package io.agentvisor.api.v1alpha1;

/** API-wide names: group, labels, field managers, finalizer. */
public final class Agentvisor {
    public static final String GROUP = "agentvisor.io";
    public static final String VERSION = "v1alpha1";
    public static final String API_VERSION = GROUP + "/" + VERSION;

    /**
     * Label on a VirtualMachine naming the node it is placed on, written by the operator together with
     * {@code status.nodeName}. Each agent-driver watches the VMs labelled with its node name.
     */
    public static final String NODE_LABEL = "agentvisor.io/node";

    /** Server-side-apply field manager of the operator (VM: agentPolicy, nodeName, node label; policy status). */
    public static final String OPERATOR_FIELD_MANAGER = "agentvisor-operator";
    /** Server-side-apply field manager of the agent-driver (VM: phase, qemu, agent, guest, its conditions). */
    public static final String DRIVER_FIELD_MANAGER = "agentvisor-driver";

    /** Finalizer the agent-driver puts on a VM it runs, so that QEMU is stopped before the VM goes away. */
    public static final String FINALIZER = "agentvisor.io/qemu";

    private Agentvisor() {
    }
}
