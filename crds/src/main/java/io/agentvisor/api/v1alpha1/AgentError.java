package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class AgentError {

    @JsonPropertyDescription("Typed reason: Timeout, AgentError, NotConnected, NotConfigured, CommandFailed, ...")
    @Size(max = Bounds.REASON)
    private String reason;

    @Size(max = Bounds.MESSAGE)
    private String message;

    @JsonPropertyDescription("When the error happened (RFC 3339).")
    @Size(max = Bounds.TIME)
    private String time;

    public String getReason() {
        return reason;
    }

    public void setReason(String reason) {
        this.reason = reason;
    }

    public String getMessage() {
        return message;
    }

    public void setMessage(String message) {
        this.message = message;
    }

    public String getTime() {
        return time;
    }

    public void setTime(String time) {
        this.time = time;
    }
}
