package io.agentvisor.driver.poll;

import java.time.Instant;

/**
 * Why the agent's last call failed.
 *
 * @param kind    what went wrong; its name is the reason in the conditions and in status.agent.lastError
 * @param message the failure in words
 * @param since   when this kind of failure started (kept while the same kind repeats)
 */
public record AgentFailure(Kind kind, String message, Instant since) {

    /** The failure reasons (ConditionTypes.REASON_*). */
    public enum Kind {
        /** A call got no reply within its timeout. */
        Timeout,
        /** The agent sent garbage, an oversized reply, or closed the channel. */
        AgentError,
        /** The guest's end of the agent channel is closed. */
        NotConnected,
        /** A call with a Block timeout has waited longer than unresponsiveAfter Default waits (5 s each). */
        CallPending
    }
}
