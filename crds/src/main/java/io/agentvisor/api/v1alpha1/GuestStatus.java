package io.agentvisor.api.v1alpha1;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/** {@code status.guest}: information from inside the guest, via its agent (KubeVirt's names). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class GuestStatus {

    private GuestOsInfo osInfo;

    private String hostname;

    private GuestTimezone timezone;

    private List<GuestUser> users;

    private List<GuestFilesystem> filesystems;

    private List<GuestInterface> interfaces;

    public GuestOsInfo getOsInfo() {
        return osInfo;
    }

    public void setOsInfo(GuestOsInfo osInfo) {
        this.osInfo = osInfo;
    }

    public String getHostname() {
        return hostname;
    }

    public void setHostname(String hostname) {
        this.hostname = hostname;
    }

    public GuestTimezone getTimezone() {
        return timezone;
    }

    public void setTimezone(GuestTimezone timezone) {
        this.timezone = timezone;
    }

    public List<GuestUser> getUsers() {
        return users;
    }

    public void setUsers(List<GuestUser> users) {
        this.users = users;
    }

    public List<GuestFilesystem> getFilesystems() {
        return filesystems;
    }

    public void setFilesystems(List<GuestFilesystem> filesystems) {
        this.filesystems = filesystems;
    }

    public List<GuestInterface> getInterfaces() {
        return interfaces;
    }

    public void setInterfaces(List<GuestInterface> interfaces) {
        this.interfaces = interfaces;
    }
}
