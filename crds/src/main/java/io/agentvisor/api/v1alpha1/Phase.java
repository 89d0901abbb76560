package io.agentvisor.api.v1alpha1;

/** {@code status.phase} of a VirtualMachine, written by the agent-driver. */
public enum Phase {
    Pending, Scheduled, Starting, Running, Stopping, Stopped, Failed
}
