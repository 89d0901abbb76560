package io.agentvisor.driver.poll;

import io.agentvisor.agent.GuestCommands;
import java.time.Duration;
import java.util.List;

/**
 * What the poller asks the guest agent, grouped as oVirt VDSM and KubeVirt do, with their default intervals.
 * The intervals are data (overridable per VM by status.agentPolicy.pollIntervals), not code paths.
 */
public enum PollGroup {
    USERS("users", Duration.ofSeconds(10), List.of(GuestCommands.USERS)),
    OS_INFO("osInfo", Duration.ofSeconds(120), List.of(GuestCommands.OS_INFO, GuestCommands.HOST_NAME,
            GuestCommands.TIMEZONE)),
    INTERFACES("interfaces", Duration.ofSeconds(120), List.of(GuestCommands.NETWORK_INTERFACES)),
    FILESYSTEMS("filesystems", Duration.ofSeconds(300), List.of(GuestCommands.FS_INFO)),
    AGENT_INFO("agentInfo", Duration.ofSeconds(300), List.of(GuestCommands.INFO));

    /** The name used in status.agentPolicy.pollIntervals. */
    public final String key;
    public final Duration defaultInterval;
    public final List<String> commands;

    PollGroup(String key, Duration defaultInterval, List<String> commands) {
        this.key = key;
        this.defaultInterval = defaultInterval;
        this.commands = commands;
    }
}
