package io.agentvisor.api.v1alpha1;

/** What a GuestCommand does (the kind for full control of the guest: grant it like exec into a pod). */
public enum GuestCommandOperation {
    AgentCommand, Exec
}
