package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;

/**
 * How often the agent-driver polls each {@link PollGroup}; Kubernetes durations such as 10s or 2m. One field per
 * group (the schema's properties); code reads and writes them by group with {@link #get} and {@link #set}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PollIntervals {

    @JsonPropertyDescription("Logged-in users (guest-get-users). Default " + PollGroup.USERS_DEFAULT + ".")
    @Pattern(Patterns.POSITIVE_DURATION)
    @Size(max = Bounds.DURATION)
    private String users;

    @JsonPropertyDescription("OS information, hostname and timezone. Default " + PollGroup.OS_INFO_DEFAULT + ".")
    @Pattern(Patterns.POSITIVE_DURATION)
    @Size(max = Bounds.DURATION)
    private String osInfo;

    @JsonPropertyDescription("Filesystems (guest-get-fsinfo). Default " + PollGroup.FILESYSTEMS_DEFAULT + ".")
    @Pattern(Patterns.POSITIVE_DURATION)
    @Size(max = Bounds.DURATION)
    private String filesystems;

    @JsonPropertyDescription("Network interfaces (guest-network-get-interfaces). Default "
            + PollGroup.INTERFACES_DEFAULT + ".")
    @Pattern(Patterns.POSITIVE_DURATION)
    @Size(max = Bounds.DURATION)
    private String interfaces;

    @JsonPropertyDescription("Agent version and supported commands (guest-info). Default "
            + PollGroup.AGENT_INFO_DEFAULT + ".")
    @Pattern(Patterns.POSITIVE_DURATION)
    @Size(max = Bounds.DURATION)
    private String agentInfo;

    /** The interval set for a group, or null. */
    public String get(PollGroup group) {
        return switch (group) {
            case USERS -> users;
            case OS_INFO -> osInfo;
            case FILESYSTEMS -> filesystems;
            case INTERFACES -> interfaces;
            case AGENT_INFO -> agentInfo;
        };
    }

    public void set(PollGroup group, String interval) {
        switch (group) {
            case USERS -> users = interval;
            case OS_INFO -> osInfo = interval;
            case FILESYSTEMS -> filesystems = interval;
            case INTERFACES -> interfaces = interval;
            case AGENT_INFO -> agentInfo = interval;
        }
    }

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
