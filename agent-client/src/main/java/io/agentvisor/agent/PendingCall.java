package io.agentvisor.agent;

import io.agentvisor.agent.AgentOutcome.Phase;
import java.time.Instant;

/**
 * The call an agent is busy with: its command, the phase it waits in (SYNC or COMMAND) and since when it has
 * been the agent's current call, and whether its command waits forever (Block). With a Block timeout this is the
 * one thing left to observe while it waits.
 */
public record PendingCall(String command, Phase phase, Instant since, boolean blocking) {
}
