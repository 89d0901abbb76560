package io.agentvisor.api.v1alpha1;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;

/** {@code status.guest}: information from inside the guest, via its agent (KubeVirt's names). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class GuestStatus {

    private OsInfoStatus osInfo;

    @Size(max = Bounds.GUEST_STRING)
    private String hostname;

    private TimezoneStatus timezone;

    @Size(max = Bounds.USERS)
    private List<UserStatus> users;

    @Size(max = Bounds.FILESYSTEMS)
    private List<FilesystemStatus> filesystems;

    @Size(max = Bounds.INTERFACES)
    private List<GuestInterface> interfaces;

    @JsonPropertyDescription("What the agent-driver left out because the guest reported more than status holds, e.g. "
            + "\"users: 100000 reported, 32 kept\"; absent when nothing was cut.")
    @Size(max = Bounds.TRUNCATED)
    private List<@Size(max = Bounds.TRUNCATED_ENTRY) String> truncated;

    public List<String> getTruncated() {
        return truncated;
    }

    public void setTruncated(List<String> truncated) {
        this.truncated = truncated;
    }

    @JsonPropertyDescription("The guest's file systems as guest-fsfreeze-status reports"
            + " them: Frozen or Thawed (Thawed too when the agent does not offer guest-fsfreeze-status); absent before the"
            + " agent first answered.")
    @Size(max = 16)
    private String fsFreeze;

    public String getFsFreeze() {
        return fsFreeze;
    }

    public void setFsFreeze(String fsFreeze) {
        this.fsFreeze = fsFreeze;
    }

    public OsInfoStatus getOsInfo() {
        return osInfo;
    }

    public void setOsInfo(OsInfoStatus osInfo) {
        this.osInfo = osInfo;
    }

    public String getHostname() {
        return hostname;
    }

    public void setHostname(String hostname) {
        this.hostname = hostname;
    }

    public TimezoneStatus getTimezone() {
        return timezone;
    }

    public void setTimezone(TimezoneStatus timezone) {
        this.timezone = timezone;
    }

    public List<UserStatus> getUsers() {
        return users;
    }

    public void setUsers(List<UserStatus> users) {
        this.users = users;
    }

    public List<FilesystemStatus> getFilesystems() {
        return filesystems;
    }

    public void setFilesystems(List<FilesystemStatus> filesystems) {
        this.filesystems = filesystems;
    }

    public List<GuestInterface> getInterfaces() {
        return interfaces;
    }

    public void setInterfaces(List<GuestInterface> interfaces) {
        this.interfaces = interfaces;
    }
}
