package io.agentvisor.driver.poll;

import io.agentvisor.agent.GuestAgent.PendingCall;
import java.time.Instant;

/**
 * How one VM's guest agent answers, as the poller last saw it.
 *
 * @param connected           the channel to the agent is open
 * @param responsive          fewer than unresponsiveAfter consecutive timeouts and the last call was answered
 * @param consecutiveTimeouts timeouts in a row (reset by any answer)
 * @param lastError           the last failure; null after an answer
 * @param lastContact         when the agent last answered (not part of equality-driven writes: see StatusBuilder)
 * @param pending             the call the agent has been busy with for longer than the Default wait, if any
 */
public record AgentLink(boolean connected, boolean responsive, int consecutiveTimeouts, AgentFailure lastError,
        Instant lastContact, PendingCall pending) {

    public static final AgentLink INITIAL = new AgentLink(false, false, 0, null, null, null);

    /** The agent answered (a result or a command error) at {@code now}. */
    AgentLink answered(Instant now) {
        return new AgentLink(true, true, 0, null, now, null);
    }

    /** A call timed out: responsive until {@code unresponsiveAfter} timeouts in a row. */
    AgentLink timedOut(boolean stillConnected, int unresponsiveAfter, String message, Instant now) {
        int n = consecutiveTimeouts + 1;
        return new AgentLink(stillConnected, responsive && n < unresponsiveAfter, n,
                failure(AgentFailure.Kind.Timeout, message, now), lastContact, null);
    }

    /** A call failed without a timeout (the agent's garbage, EOF, or no connection): unresponsive at once. */
    AgentLink failed(boolean stillConnected, AgentFailure.Kind kind, String message, Instant now) {
        return new AgentLink(stillConnected, false, 0, failure(kind, message, now), lastContact, null);
    }

    /**
     * The agent has been busy with {@code call} for a Default wait or longer; {@code stuck}: a Block call that has
     * waited unresponsiveAfter Default waits, which makes the agent unresponsive (reason CallPending).
     */
    AgentLink busyWith(PendingCall call, boolean stuck, Instant now) {
        boolean newlyStuck = stuck && !isFailure(AgentFailure.Kind.CallPending);
        return new AgentLink(connected, responsive && !stuck, consecutiveTimeouts, newlyStuck
                ? failure(AgentFailure.Kind.CallPending, "guest agent is not responding: " + call.command()
                        + " has been waiting for its reply since " + call.since() + " (Block: no deadline)", now)
                : lastError, lastContact, call);
    }

    AgentLink withConnected(boolean c) {
        return new AgentLink(c, responsive, consecutiveTimeouts, lastError, lastContact, pending);
    }

    AgentLink withResponsive(boolean r) {
        return new AgentLink(connected, r, consecutiveTimeouts, lastError, lastContact, pending);
    }

    /** No agent to talk to (the VM is not running): only the time of the last contact stays. */
    AgentLink detached() {
        return new AgentLink(false, false, 0, null, lastContact, null);
    }

    public boolean isFailure(AgentFailure.Kind kind) {
        return lastError != null && lastError.kind() == kind;
    }

    /** The reason of the last failure (the condition's and status.agent.lastError's), or null. */
    public String errorReason() {
        return lastError == null ? null : lastError.kind().name();
    }

    /** The time of a failure stays that of its first occurrence while the same kind of failure repeats. */
    private AgentFailure failure(AgentFailure.Kind kind, String message, Instant now) {
        return new AgentFailure(kind, message, isFailure(kind) && lastError.since() != null ? lastError.since() : now);
    }

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
}
