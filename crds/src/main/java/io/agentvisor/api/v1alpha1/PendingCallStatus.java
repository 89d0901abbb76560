package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import java.util.Objects;

/** {@code status.agent.pendingCall}: the call the agent has been busy with for a while. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PendingCallStatus {

    @JsonPropertyDescription("The qemu-ga command.")
    @Size(max = Bounds.COMMAND)
    private String command;

    @JsonPropertyDescription("Sync (the guest-sync before it) or Command (waiting for its reply).")
    @Size(max = Bounds.SHORT)
    private String phase;

    @JsonPropertyDescription("Since when it has been the agent's current call (RFC 3339).")
    @Size(max = Bounds.TIME)
    private String since;

    @JsonPropertyDescription("Its timeout waits forever (Block).")
    private Boolean blocking;

    public String getCommand() {
        return command;
    }

    public void setCommand(String command) {
        this.command = command;
    }

    public String getPhase() {
        return phase;
    }

    public void setPhase(String phase) {
        this.phase = phase;
    }

    public String getSince() {
        return since;
    }

    public void setSince(String since) {
        this.since = since;
    }

    public Boolean getBlocking() {
        return blocking;
    }

    public void setBlocking(Boolean blocking) {
        this.blocking = blocking;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PendingCallStatus p && Objects.equals(command, p.command) && Objects.equals(phase, p.phase)
                && Objects.equals(since, p.since) && Objects.equals(blocking, p.blocking);
    }

    @Override
    public int hashCode() {
        return Objects.hash(command, phase, since, blocking);
    }
}
