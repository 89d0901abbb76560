package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class Boot {

    @JsonPropertyDescription("Absolute path of the kernel image on the node, inside an allowed image directory.")
    @Required
    @Pattern(Patterns.ABSOLUTE_PATH)
    @Size(max = Bounds.PATH)
    private String kernel;

    @JsonPropertyDescription("Absolute path of the initial ramdisk on the node, inside an allowed image directory.")
    @Pattern(Patterns.ABSOLUTE_PATH)
    @Size(max = Bounds.PATH)
    private String initrd;

    @JsonPropertyDescription("Kernel command line.")
    @Size(max = 4096)
    private String cmdline;

    public String getKernel() {
        return kernel;
    }

    public void setKernel(String kernel) {
        this.kernel = kernel;
    }

    public String getInitrd() {
        return initrd;
    }

    public void setInitrd(String initrd) {
        this.initrd = initrd;
    }

    public String getCmdline() {
        return cmdline;
    }

    public void setCmdline(String cmdline) {
        this.cmdline = cmdline;
    }
}
