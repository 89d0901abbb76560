package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;

/** How often the agent-driver polls each group of guest information; Kubernetes durations such as 10s or 2m. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PollIntervals {

    @JsonPropertyDescription("Logged-in users (guest-get-users). Default 10s.")
    @Pattern(Patterns.POSITIVE_DURATION)
    private String users;

    @JsonPropertyDescription("OS information, hostname and timezone. Default 120s.")
    @Pattern(Patterns.POSITIVE_DURATION)
    private String osInfo;

    @JsonPropertyDescription("Filesystems (guest-get-fsinfo). Default 300s.")
    @Pattern(Patterns.POSITIVE_DURATION)
    private String filesystems;

    @JsonPropertyDescription("Network interfaces (guest-network-get-interfaces). Default 120s.")
    @Pattern(Patterns.POSITIVE_DURATION)
    private String interfaces;

    @JsonPropertyDescription("Agent version and supported commands (guest-info). Default 300s.")
    @Pattern(Patterns.POSITIVE_DURATION)
    private String agentInfo;

    public String getUsers() {
        return users;
    }

    public void setUsers(String users) {
        this.users = users;
    }

    public String getOsInfo() {
        return osInfo;
    }

    public void setOsInfo(String osInfo) {
        this.osInfo = osInfo;
    }

    public String getFilesystems() {
        return filesystems;
    }

    public void setFilesystems(String filesystems) {
        this.filesystems = filesystems;
    }

    public String getInterfaces() {
        return interfaces;
    }

    public void setInterfaces(String interfaces) {
        this.interfaces = interfaces;
    }

    public String getAgentInfo() {
        return agentInfo;
    }

    public void setAgentInfo(String agentInfo) {
        this.agentInfo = agentInfo;
    }
}
