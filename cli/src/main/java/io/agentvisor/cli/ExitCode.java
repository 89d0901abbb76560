package io.agentvisor.cli;

import io.agentvisor.agent.AgentOutcome;

/** The CLI's exit codes. Stable: scripts depend on them. */
public final class ExitCode {
    private ExitCode() {
    }

    public static final int OK = 0;
    /** the agent answered with an error (e.g. CommandNotFound for a disabled command) */
    public static final int COMMAND_ERROR = 1;
    /** bad flag or value, invalid JSON */
    public static final int USAGE = 2;
    /** the agent did not answer within the response timeout */
    public static final int NOT_RESPONDING = 3;
    /** agent error or not connected: no socket, EOF, oversize or garbled reply */
    public static final int AGENT_ERROR = 4;

    /** cluster verbs: the Kubernetes API failed, or the named object does not exist */
    public static final int CLUSTER_ERROR = 5;
    /**
     * cluster verbs: an object cannot be read by the CLI (a field the API types cannot hold, e.g. a number out of
     * range stored before the schema bounded it); one line on stderr names the object and the field, every other
     * object is still printed
     */
    public static final int UNREADABLE_OBJECT = 6;

    public static int of(AgentOutcome<?> outcome) {
        if (outcome instanceof AgentOutcome.Success<?>) {
            return OK;
        } else if (outcome instanceof AgentOutcome.CommandError<?>) {
            return COMMAND_ERROR;
        } else if (outcome instanceof AgentOutcome.NotResponding<?>) {
            return NOT_RESPONDING;
        }
        return AGENT_ERROR; // AgentError, NotConnected
    }
}
