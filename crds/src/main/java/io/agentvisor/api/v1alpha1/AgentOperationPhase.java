package io.agentvisor.api.v1alpha1;

/** The life of an agent operation: a driver claims it (Running) before sending anything, so it runs at most once. */
public enum AgentOperationPhase {
    Pending, Running, Succeeded, Failed
}
