package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/**
 * One disk: exactly one of {@code persistentVolumeClaim} (an image file in a claim of the VM's namespace; the
 * namespace's own, writable storage) or {@code path} (a read-only image on the node, inside an allowed image
 * directory, for shared files).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Disk {

    @JsonPropertyDescription("Disk name, a DNS label unique within the VM.")
    @Required
    @Pattern(Patterns.DNS_LABEL)
    @Size(max = 63)
    private String name;

    @JsonPropertyDescription("Absolute path of a read-only image on the node, inside an allowed image directory "
            + "(shared images; writable disks come from a persistentVolumeClaim).")
    @Pattern(Patterns.ABSOLUTE_PATH)
    @Size(max = 1024)
    private String path;

    @JsonPropertyDescription("An image file in a PersistentVolumeClaim (volumeMode Filesystem) of the VM's namespace.")
    private PersistentVolumeClaimDisk persistentVolumeClaim;

    @JsonPropertyDescription("Image format: raw or qcow2 (a qcow2 image never opens a backing or data file).")
    @Default("raw")
    private DiskFormat format;

    @JsonPropertyDescription("Attach the disk read-only. Default: false for a persistentVolumeClaim disk; a path disk "
            + "is always read-only.")
    private Boolean readOnly;

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getPath() {
        return path;
    }

    public void setPath(String path) {
        this.path = path;
    }

    public PersistentVolumeClaimDisk getPersistentVolumeClaim() {
        return persistentVolumeClaim;
    }

    public void setPersistentVolumeClaim(PersistentVolumeClaimDisk persistentVolumeClaim) {
        this.persistentVolumeClaim = persistentVolumeClaim;
    }

    public DiskFormat getFormat() {
        return format;
    }

    public void setFormat(DiskFormat format) {
        this.format = format;
    }

    public Boolean getReadOnly() {
        return readOnly;
    }

    public void setReadOnly(Boolean readOnly) {
        this.readOnly = readOnly;
    }
}
