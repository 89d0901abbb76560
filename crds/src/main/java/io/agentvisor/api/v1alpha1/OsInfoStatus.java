package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Size;

/** guest-get-osinfo. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class OsInfoStatus {
    @Size(max = Bounds.GUEST_STRING)
    private String id;
    @Size(max = Bounds.GUEST_STRING)
    private String name;
    @Size(max = Bounds.GUEST_STRING)
    private String prettyName;
    @Size(max = Bounds.GUEST_STRING)
    private String version;
    @Size(max = Bounds.GUEST_STRING)
    private String versionId;
    @Size(max = Bounds.GUEST_STRING)
    private String kernelRelease;
    @Size(max = Bounds.GUEST_STRING)
    private String kernelVersion;
    @Size(max = Bounds.GUEST_STRING)
    private String machine;

    public String getId() {
        return id;
    }

    public void setId(String id) {
        this.id = id;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getPrettyName() {
        return prettyName;
    }

    public void setPrettyName(String prettyName) {
        this.prettyName = prettyName;
    }

    public String getVersion() {
        return version;
    }

    public void setVersion(String version) {
        this.version = version;
    }

    public String getVersionId() {
        return versionId;
    }

    public void setVersionId(String versionId) {
        this.versionId = versionId;
    }

    public String getKernelRelease() {
        return kernelRelease;
    }

    public void setKernelRelease(String kernelRelease) {
        this.kernelRelease = kernelRelease;
    }

    public String getKernelVersion() {
        return kernelVersion;
    }

    public void setKernelVersion(String kernelVersion) {
        this.kernelVersion = kernelVersion;
    }

    public String getMachine() {
        return machine;
    }

    public void setMachine(String machine) {
        this.machine = machine;
    }
}
