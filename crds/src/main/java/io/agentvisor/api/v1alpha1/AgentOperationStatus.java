package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;

/** {@code status} of an agent operation (GuestCommand, GuestMaintenance), written by the agent-driver of the VM's node. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class AgentOperationStatus {

    @JsonPropertyDescription("Pending, Running (claimed by a driver, sent at most once), Succeeded or Failed.")
    private AgentOperationPhase phase;

    @JsonPropertyDescription("The node whose driver ran it.")
    @Size(max = Bounds.NAME)
    private String node;

    @JsonPropertyDescription("Typed outcome: Succeeded, CommandError, BlockedByPolicy, Timeout, AgentError, NotConnected, NotConfigured, OutcomeUnknown (a driver restart lost the outcome: never re-sent), Invalid, VmNotFound.")
    @Size(max = Bounds.REASON)
    private String reason;

    @JsonPropertyDescription("What happened, for people.")
    @Size(max = Bounds.MESSAGE)
    private String message;

    @JsonPropertyDescription("The agent's error class for CommandError (e.g. CommandNotFound, GenericError).")
    @Size(max = Bounds.SHORT)
    private String errorClass;

    @JsonPropertyDescription("The timeout the operation's agent calls used (libvirt integer).")
    @Min(-2)
    @Max(Bounds.TIMEOUT_SECONDS)
    private Integer responseTimeout;

    @JsonPropertyDescription("The agent's return value as JSON (at most 64 KiB).")
    @Size(max = Bounds.OPERATION_REPLY)
    private String reply;

    @JsonPropertyDescription("The reply was longer than 64 KiB and is cut.")
    private Boolean replyTruncated;

    @JsonPropertyDescription("Exec: exit code and output.")
    private ExecResult exec;

    @JsonPropertyDescription("FsFreeze: when the driver thaws unless a FsThaw came first (RFC 3339).")
    @Size(max = Bounds.TIME)
    private String thawDeadline;

    @JsonPropertyDescription("FsFreeze: when and how the freeze ended (e.g. 'auto-thaw at ...').")
    @Size(max = Bounds.TIME)
    private String thawed;

    @JsonPropertyDescription("When the driver claimed it (RFC 3339).")
    @Size(max = Bounds.TIME)
    private String startTime;

    @JsonPropertyDescription("When it finished (RFC 3339).")
    @Size(max = Bounds.TIME)
    private String completionTime;

    public AgentOperationPhase getPhase() {
        return phase;
    }

    public void setPhase(AgentOperationPhase phase) {
        this.phase = phase;
    }

    public String getNode() {
        return node;
    }

    public void setNode(String node) {
        this.node = node;
    }

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

    public String getErrorClass() {
        return errorClass;
    }

    public void setErrorClass(String errorClass) {
        this.errorClass = errorClass;
    }

    public Integer getResponseTimeout() {
        return responseTimeout;
    }

    public void setResponseTimeout(Integer responseTimeout) {
        this.responseTimeout = responseTimeout;
    }

    public String getReply() {
        return reply;
    }

    public void setReply(String reply) {
        this.reply = reply;
    }

    public Boolean getReplyTruncated() {
        return replyTruncated;
    }

    public void setReplyTruncated(Boolean replyTruncated) {
        this.replyTruncated = replyTruncated;
    }

    public ExecResult getExec() {
        return exec;
    }

    public void setExec(ExecResult exec) {
        this.exec = exec;
    }

    public String getThawDeadline() {
        return thawDeadline;
    }

    public void setThawDeadline(String thawDeadline) {
        this.thawDeadline = thawDeadline;
    }

    public String getThawed() {
        return thawed;
    }

    public void setThawed(String thawed) {
        this.thawed = thawed;
    }

    public String getStartTime() {
        return startTime;
    }

    public void setStartTime(String startTime) {
        this.startTime = startTime;
    }

    public String getCompletionTime() {
        return completionTime;
    }

    public void setCompletionTime(String completionTime) {
        this.completionTime = completionTime;
    }
}
