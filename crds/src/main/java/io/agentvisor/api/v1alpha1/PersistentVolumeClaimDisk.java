package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** A disk image file inside a Filesystem-mode PersistentVolumeClaim of the VM's namespace (KubeVirt's layout). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PersistentVolumeClaimDisk {

    @JsonPropertyDescription("Name of the PersistentVolumeClaim, in the VM's namespace.")
    @Required
    @Pattern(Patterns.DNS_SUBDOMAIN)
    @Size(max = 253)
    private String claimName;

    @JsonPropertyDescription("Image file at the root of the volume.")
    @Default("disk.img")
    @Pattern(Patterns.FILE_NAME)
    @Size(max = 255)
    private String file;

    public String getClaimName() {
        return claimName;
    }

    public void setClaimName(String claimName) {
        this.claimName = claimName;
    }

    public String getFile() {
        return file;
    }

    public void setFile(String file) {
        this.file = file;
    }
}
