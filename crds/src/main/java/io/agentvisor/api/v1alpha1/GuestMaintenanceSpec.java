package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** {@code spec} of a GuestMaintenance: freeze or thaw the guest's file systems, or set its clock. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@io.fabric8.crdv2.generator.v1.SchemaCustomizer(value = IntOrStringRules.class, input = Patterns.OPERATION_TIMEOUT_RULE)
public class GuestMaintenanceSpec extends AgentOperationSpec {

    @JsonPropertyDescription("FsFreeze (spec.mountpoints, spec.thawAfterSeconds), FsThaw, or SetTime (spec.time).")
    @Required
    private GuestMaintenanceOperation operation;

    @JsonPropertyDescription("FsFreeze: only these mount points (guest-fsfreeze-freeze-list); left out: all.")
    @Size(max = 256)
    private List<@Pattern(Patterns.ABSOLUTE_PATH) @Size(max = 1024) String> mountpoints;

    @JsonPropertyDescription("FsFreeze: the driver thaws the file systems this long after the freeze unless a FsThaw came first, so a forgotten freeze cannot hang the guest.")
    @Default("300")
    @Min(1)
    @Max(3600)
    private Integer thawAfterSeconds;

    @JsonPropertyDescription("SetTime: the time to set (RFC 3339); left out: the node's clock when the operation runs.")
    @Size(max = 64)
    private String time;

    public GuestMaintenanceOperation getOperation() {
        return operation;
    }

    public void setOperation(GuestMaintenanceOperation operation) {
        this.operation = operation;
    }

    public List<@Pattern(Patterns.ABSOLUTE_PATH) @Size(max = 1024) String> getMountpoints() {
        return mountpoints;
    }

    public void setMountpoints(List<@Pattern(Patterns.ABSOLUTE_PATH) @Size(max = 1024) String> mountpoints) {
        this.mountpoints = mountpoints;
    }

    public Integer getThawAfterSeconds() {
        return thawAfterSeconds;
    }

    public void setThawAfterSeconds(Integer thawAfterSeconds) {
        this.thawAfterSeconds = thawAfterSeconds;
    }

    public String getTime() {
        return time;
    }

    public void setTime(String time) {
        this.time = time;
    }
}
