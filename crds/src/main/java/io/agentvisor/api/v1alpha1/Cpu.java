package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class Cpu {

    @JsonPropertyDescription("Number of virtual CPU cores.")
    @Min(1)
    @Max(256)
    @Default("1")
    private Integer cores;

    @JsonPropertyDescription("Also cap the VM's pod at one CPU per core (a CPU limit). Default: a request of 100m per "
            + "core and no limit.")
    @Default("false")
    private Boolean limitToCores;

    public Integer getCores() {
        return cores;
    }

    public void setCores(Integer cores) {
        this.cores = cores;
    }

    public Boolean getLimitToCores() {
        return limitToCores;
    }

    public void setLimitToCores(Boolean limitToCores) {
        this.limitToCores = limitToCores;
    }
}
