package io.agentvisor.api.v1alpha1;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;

/** One entry of guest-get-fsinfo. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class FilesystemStatus {
    @Size(max = Bounds.GUEST_STRING)
    private String name;
    @Size(max = Bounds.GUEST_STRING)
    private String mountPoint;
    @Size(max = Bounds.SHORT)
    private String type;
    @Min(0)
    @Max(Bounds.BYTES)
    private Long usedBytes;
    @Min(0)
    @Max(Bounds.BYTES)
    private Long totalBytes;
    @Size(max = Bounds.DISKS_PER_FILESYSTEM)
    private List<GuestDisk> disks;

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getMountPoint() {
        return mountPoint;
    }

    public void setMountPoint(String mountPoint) {
        this.mountPoint = mountPoint;
    }

    public String getType() {
        return type;
    }

    public void setType(String type) {
        this.type = type;
    }

    public Long getUsedBytes() {
        return usedBytes;
    }

    public void setUsedBytes(Long usedBytes) {
        this.usedBytes = usedBytes;
    }

    public Long getTotalBytes() {
        return totalBytes;
    }

    public void setTotalBytes(Long totalBytes) {
        this.totalBytes = totalBytes;
    }

    public List<GuestDisk> getDisks() {
        return disks;
    }

    public void setDisks(List<GuestDisk> disks) {
        this.disks = disks;
    }
}
