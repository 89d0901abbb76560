package io.agentvisor.api.v1alpha1;

/** {@code status.agent.state}, the summary the {@code Agent} printer column shows (written by the agent-driver). */
public enum AgentState {
    /** The channel is open and the last call was answered. */
    Responsive,
    /** The channel is open but {@code unresponsiveAfter} consecutive calls timed out. */
    Unresponsive,
    /** The channel is not open (guest still booting, agent not running, QEMU not running). */
    Disconnected,
    /** The guest agent is disabled for this VM ({@code spec.guestAgent.enabled: false}). */
    Disabled
}
