package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;

/** How the VM's QEMU container last ended, from the pod's container status (e.g. reason OOMKilled). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Termination {

    @JsonPropertyDescription("The kubelet's reason: Completed, Error, OOMKilled, ...")
    @Size(max = 128)
    private String reason;

    @JsonPropertyDescription("Exit status of the container (QEMU's, or 128+signal).")
    @Min(Integer.MIN_VALUE)
    @Max(Integer.MAX_VALUE)
    private Integer exitCode;

    @JsonPropertyDescription("When it ended (RFC 3339).")
    @Size(max = 64)
    private String finishedAt;

    @JsonPropertyDescription("The kubelet's message, if any.")
    @Size(max = 1024)
    private String message;

    public String getReason() {
        return reason;
    }

    public void setReason(String reason) {
        this.reason = reason;
    }

    public Integer getExitCode() {
        return exitCode;
    }

    public void setExitCode(Integer exitCode) {
        this.exitCode = exitCode;
    }

    public String getFinishedAt() {
        return finishedAt;
    }

    public void setFinishedAt(String finishedAt) {
        this.finishedAt = finishedAt;
    }

    public String getMessage() {
        return message;
    }

    public void setMessage(String message) {
        this.message = message;
    }
}
