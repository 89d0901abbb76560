package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class QemuStatus {

    @JsonPropertyDescription("Process id of qemu-system on the node.")
    @Min(1)
    @Max(Bounds.PID)
    private Long pid;

    @JsonPropertyDescription("Accelerator in use: kvm or tcg.")
    @Size(max = Bounds.SHORT)
    private String accelerator;

    public Long getPid() {
        return pid;
    }

    public void setPid(Long pid) {
        this.pid = pid;
    }

    public String getAccelerator() {
        return accelerator;
    }

    public void setAccelerator(String accelerator) {
        this.accelerator = accelerator;
    }
}
