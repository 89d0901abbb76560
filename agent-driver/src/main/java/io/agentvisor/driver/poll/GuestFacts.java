package io.agentvisor.driver.poll;

import io.agentvisor.agent.GuestFilesystem;
import io.agentvisor.agent.GuestNetworkInterface;
import io.agentvisor.agent.GuestOsInfo;
import io.agentvisor.agent.GuestTimezone;
import io.agentvisor.agent.GuestUser;
import java.util.List;

/**
 * What the guest reported through its agent, field by field as the poll groups bring it in (null: not known yet).
 *
 * @param frozen            guest-fsfreeze-status says "frozen"
 * @param version           the agent's version (guest-info)
 * @param supportedCommands the commands the agent has enabled, sorted (guest-info)
 */
public record GuestFacts(boolean frozen, String version, List<String> supportedCommands, GuestOsInfo osInfo,
        String hostname, GuestTimezone timezone, List<GuestUser> users, List<GuestFilesystem> filesystems,
        List<GuestNetworkInterface> interfaces) {

    public static final GuestFacts NONE = new GuestFacts(false, null, null, null, null, null, null, null, null);

    GuestFacts withFrozen(boolean f) {
        return new GuestFacts(f, version, supportedCommands, osInfo, hostname, timezone, users, filesystems,
                interfaces);
    }

    GuestFacts withAgentInfo(String v, List<String> commands) {
        return new GuestFacts(frozen, v, commands, osInfo, hostname, timezone, users, filesystems, interfaces);
    }

    GuestFacts withOsInfo(GuestOsInfo o) {
        return new GuestFacts(frozen, version, supportedCommands, o, hostname, timezone, users, filesystems,
                interfaces);
    }

    GuestFacts withHostname(String h) {
        return new GuestFacts(frozen, version, supportedCommands, osInfo, h, timezone, users, filesystems,
                interfaces);
    }

    GuestFacts withTimezone(GuestTimezone t) {
        return new GuestFacts(frozen, version, supportedCommands, osInfo, hostname, t, users, filesystems,
                interfaces);
    }

    GuestFacts withUsers(List<GuestUser> u) {
        return new GuestFacts(frozen, version, supportedCommands, osInfo, hostname, timezone, u, filesystems,
                interfaces);
    }

    GuestFacts withFilesystems(List<GuestFilesystem> f) {
        return new GuestFacts(frozen, version, supportedCommands, osInfo, hostname, timezone, users, f, interfaces);
    }

    GuestFacts withInterfaces(List<GuestNetworkInterface> i) {
        return new GuestFacts(frozen, version, supportedCommands, osInfo, hostname, timezone, users, filesystems, i);
    }
}
