package io.agentvisor.api.v1alpha1;

/** KubeVirt's run strategies. */
public enum RunStrategy {
    /** Keep the VM running: restart it after any exit. */
    Always,
    /** Keep the VM stopped. */
    Halted,
    /** Restart the VM only after a failure (crash or non-zero exit), not after a guest shutdown. */
    RerunOnFailure,
    /** Start and stop only on explicit request; never restarted automatically. */
    Manual,
    /** Run the VM once; after it exits it is not restarted. */
    Once;

    /** Whether a VM with this strategy wants a node (everything but {@link #Halted}). */
    public boolean wantsNode() {
        return this != Halted;
    }
}
