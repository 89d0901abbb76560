package io.agentvisor.api.v1alpha1;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;

/** {@code status.agent}, written by the agent-driver. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class AgentStatus {

    @JsonPropertyDescription("Summary: Responsive, Unresponsive, Disconnected or Disabled.")
    private AgentState state;

    @JsonPropertyDescription("The agent channel is open.")
    private Boolean connected;

    @JsonPropertyDescription("The last agent call was answered.")
    private Boolean responsive;

    @JsonPropertyDescription("Response timeout applied on the live agent connection (libvirt integer).")
    @Min(-2)
    @Max(Bounds.TIMEOUT_SECONDS)
    private Integer responseTimeout;

    @JsonPropertyDescription("qemu-ga version reported by guest-info.")
    @Size(max = Bounds.SHORT)
    private String version;

    @Size(max = Bounds.SUPPORTED_COMMANDS)
    private List<@Size(max = Bounds.COMMAND) String> supportedCommands;

    private AgentError lastError;

    @JsonPropertyDescription("The agent call that has been waiting for the agent longer than 5 s, if any (a call with"
            + " a Block timeout can wait forever): how long is now minus since.")
    private PendingCallStatus pendingCall;

    @JsonPropertyDescription("Last answered call (RFC 3339) as of the last status change: it rides along with other"
            + " status writes, at most once a minute, and never causes a write by itself (an idle VM costs no API"
            + " writes). While state is Responsive the agent is still answering; the node Lease shows the driver is watching.")
    @Size(max = Bounds.TIME)
    private String lastContact;

    public AgentState getState() {
        return state;
    }

    public void setState(AgentState state) {
        this.state = state;
    }

    public Boolean getConnected() {
        return connected;
    }

    public void setConnected(Boolean connected) {
        this.connected = connected;
    }

    public Boolean getResponsive() {
        return responsive;
    }

    public void setResponsive(Boolean responsive) {
        this.responsive = responsive;
    }

    public Integer getResponseTimeout() {
        return responseTimeout;
    }

    public void setResponseTimeout(Integer responseTimeout) {
        this.responseTimeout = responseTimeout;
    }

    public String getVersion() {
        return version;
    }

    public void setVersion(String version) {
        this.version = version;
    }

    public List<String> getSupportedCommands() {
        return supportedCommands;
    }

    public void setSupportedCommands(List<String> supportedCommands) {
        this.supportedCommands = supportedCommands;
    }

    public AgentError getLastError() {
        return lastError;
    }

    public void setLastError(AgentError lastError) {
        this.lastError = lastError;
    }

    public PendingCallStatus getPendingCall() {
        return pendingCall;
    }

    public void setPendingCall(PendingCallStatus pendingCall) {
        this.pendingCall = pendingCall;
    }

    public String getLastContact() {
        return lastContact;
    }

    public void setLastContact(String lastContact) {
        this.lastContact = lastContact;
    }
}
