package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/**
 * A status condition (Kubernetes API conventions). Conditions are a map list keyed by {@code type}: each writer
 * owns its own entries, with {@code observedGeneration} and a {@code lastTransitionTime} that changes only with
 * the status.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Condition {

    public static final String TRUE = "True";
    public static final String FALSE = "False";
    public static final String UNKNOWN = "Unknown";

    @Required
    @Size(max = Bounds.CONDITION_TYPE)
    private String type;

    @Required
    @Pattern("^(True|False|Unknown)$")
    @Size(max = 7)
    private String status;

    @JsonPropertyDescription("CamelCase reason of the last transition.")
    @Size(max = Bounds.REASON)
    private String reason;

    @Size(max = Bounds.MESSAGE)
    private String message;

    @JsonPropertyDescription("When status last changed (RFC 3339).")
    @Size(max = Bounds.TIME)
    private String lastTransitionTime;

    @JsonPropertyDescription("metadata.generation the condition was computed from.")
    @Min(0)
    @Max(Bounds.GENERATION)
    private Long observedGeneration;

    public String getType() {
        return type;
    }

    public void setType(String type) {
        this.type = type;
    }

    public String getStatus() {
        return status;
    }

    public void setStatus(String status) {
        this.status = status;
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

    public String getLastTransitionTime() {
        return lastTransitionTime;
    }

    public void setLastTransitionTime(String lastTransitionTime) {
        this.lastTransitionTime = lastTransitionTime;
    }

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }
}
