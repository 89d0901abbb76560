package io.agentvisor.api.v1alpha1;

import java.time.Duration;
import java.util.List;

import io.agentvisor.agent.GuestCommands;

/**
 * The one table of what the agent-driver polls: each group's key (its field in {@code pollIntervals}), default
 * interval (oVirt VDSM's and KubeVirt's) and qemu-ga commands. The schema, validation, policy resolution and the
 * driver's poller all derive from it.
 */
public enum PollGroup {
    USERS("users", PollGroup.USERS_DEFAULT, GuestCommands.USERS),
    OS_INFO("osInfo", PollGroup.OS_INFO_DEFAULT, GuestCommands.OS_INFO, GuestCommands.HOST_NAME,
            GuestCommands.TIMEZONE),
    INTERFACES("interfaces", PollGroup.INTERFACES_DEFAULT, GuestCommands.NETWORK_INTERFACES),
    FILESYSTEMS("filesystems", PollGroup.FILESYSTEMS_DEFAULT, GuestCommands.FS_INFO),
    AGENT_INFO("agentInfo", PollGroup.AGENT_INFO_DEFAULT, GuestCommands.INFO);

    // constants, so that PollIntervals' schema descriptions can quote them
    static final String USERS_DEFAULT = "10s";
    static final String OS_INFO_DEFAULT = "120s";
    static final String INTERFACES_DEFAULT = "120s";
    static final String FILESYSTEMS_DEFAULT = "300s";
    static final String AGENT_INFO_DEFAULT = "300s";

    /** The field name in {@code pollIntervals}. */
    public final String key;
    /** The default interval as the API spells it. */
    public final String defaultText;
    public final Duration defaultInterval;
    /** In the order the poller sends them; the group is done when the last has answered. */
    public final List<String> commands;

    PollGroup(String key, String defaultText, String... commands) {
        this.key = key;
        this.defaultText = defaultText;
        this.defaultInterval = Durations.parsePositive(defaultText, key);
        this.commands = List.of(commands);
    }
}
