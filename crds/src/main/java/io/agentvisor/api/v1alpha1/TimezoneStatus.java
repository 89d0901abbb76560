package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;

/** guest-get-timezone. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TimezoneStatus {
    @Size(max = Bounds.SHORT)
    private String name;

    @JsonPropertyDescription("Offset from UTC in seconds.")
    @Min(-Bounds.DAY_SECONDS)
    @Max(Bounds.DAY_SECONDS)
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
