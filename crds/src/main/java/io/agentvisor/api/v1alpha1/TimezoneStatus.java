package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** guest-get-timezone. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TimezoneStatus {
    private String name;

    @JsonPropertyDescription("Offset from UTC in seconds.")
    private Integer offset;

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public Integer getOffset() {
        return offset;
    }

    public void setOffset(Integer offset) {
        this.offset = offset;
    }
}
