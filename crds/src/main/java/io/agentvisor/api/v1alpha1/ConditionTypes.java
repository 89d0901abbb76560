package io.agentvisor.api.v1alpha1;

/** Condition types and reasons, grouped by owner. */
public final class ConditionTypes {

    // ---- VirtualMachine, written by the operator ----
    /**
     * The VM's pod is bound to a node (True, reason Placed), or why not (False: the scheduler's own reason and message,
     * e.g. Unschedulable "0/1 nodes are available: 1 Insufficient memory."; PodPending before the scheduler spoke;
     * InvalidSpec; NotRequested when the VM should not run).
     */
    public static final String SCHEDULED = "Scheduled";
    /** status.agentPolicy is resolved (True, reason Resolved) or cannot be (False, InvalidPolicy). */
    public static final String POLICY_APPLIED = "PolicyApplied";
    /**
     * Present (True, reason PodOutdated) while the VM's pod differs from the one its spec and the operator's settings
     * give now (a pod's spec cannot change): the change applies when the pod is replaced (stop and start the VM).
     */
    public static final String RESTART_REQUIRED = "RestartRequired";
    /** What the schema cannot check: image paths inside the allowed directories, boot source present, ... */
    public static final String SPEC_VALID = "SpecValid";

    // ---- VirtualMachine, written by the agent-driver ----
    public static final String RUNNING = "Running";
    public static final String AGENT_CONNECTED = "AgentConnected";
    public static final String AGENT_RESPONSIVE = "AgentResponsive";
    public static final String READY = "Ready";
    /**
     * spec.accessCredentials are applied in the guest as their Secrets say now (True, reason Synchronized), or why
     * not (False: SecretNotMounted, InvalidSecret, UserUnknown, BlockedByPolicy, CommandError, NotConnected, ...; the
     * message names the Secret, never a key or password). Absent when the VM has no access credentials.
     */
    public static final String ACCESS_CREDENTIALS_SYNCHRONIZED = "AccessCredentialsSynchronized";

    // ---- GuestAgentPolicy, written by the operator ----
    /** The policy's spec is usable (False, reason InvalidSpec, when e.g. a command name is malformed). */
    public static final String ACCEPTED = "Accepted";
    /** The policy ties on priority with another policy over at least one VM (True, reason PriorityTie). */
    public static final String CONFLICT = "Conflict";

    // ---- reasons ----
    public static final String REASON_PLACED = "Placed";
    public static final String REASON_UNSCHEDULABLE = "Unschedulable";
    public static final String REASON_INVALID_SPEC = "InvalidSpec";
    public static final String REASON_NOT_REQUESTED = "NotRequested";
    public static final String REASON_RESOLVED = "Resolved";
    public static final String REASON_INVALID_POLICY = "InvalidPolicy";
    public static final String REASON_VALID = "Valid";
    /** Scheduled=False while the pod exists but the scheduler has not reported on it yet. */
    public static final String REASON_POD_PENDING = "PodPending";
    public static final String REASON_PRIORITY_TIE = "PriorityTie";
    public static final String REASON_NO_TIE = "NoTie";
    /** Agent reasons the driver uses for AgentResponsive / status.agent.lastError. */
    public static final String REASON_TIMEOUT = "Timeout";
    public static final String REASON_AGENT_ERROR = "AgentError";
    public static final String REASON_NOT_CONNECTED = "NotConnected";
    public static final String REASON_NOT_CONFIGURED = "NotConfigured";
    /** A call with a Block timeout has waited longer than unresponsiveAfter Default waits (5 s each). */
    public static final String REASON_CALL_PENDING = "CallPending";

    private ConditionTypes() {
    }
}
