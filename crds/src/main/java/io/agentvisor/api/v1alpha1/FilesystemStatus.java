package io.agentvisor.api.v1alpha1;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/** One entry of guest-get-fsinfo. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class FilesystemStatus {
    private String name;
    private String mountPoint;
    private String type;
    private Long usedBytes;
    private Long totalBytes;
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
