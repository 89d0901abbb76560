package io.agentvisor.driver.poll;

import io.agentvisor.agent.GuestFilesystem;
import io.agentvisor.agent.GuestNetworkInterface;
import io.agentvisor.agent.GuestOsInfo;
import io.agentvisor.agent.GuestTimezone;
import io.agentvisor.agent.GuestUser;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * What the poller knows about one VM's agent and guest: an immutable snapshot in the cache that reconciles and
 * the status writer read.
 *
 * @param link  how the agent answers: connected, responsive, the last failure, the call it is busy with
 * @param guest what the guest reported, last-known-good: a failed poll never blanks it
 */
public record AgentView(AgentLink link, GuestFacts guest) {

    public static final AgentView INITIAL = new AgentView(AgentLink.INITIAL, GuestFacts.NONE);

    public AgentView with(AgentLink l) {
        return new AgentView(l, guest);
    }

    public AgentView withGuest(UnaryOperator<GuestFacts> change) {
        return new AgentView(link, change.apply(guest));
    }

    /** The view of a VM that is not running: no agent to talk to; guest facts as last known, nothing frozen. */
    public AgentView detached() {
        return new AgentView(link.detached(), guest.withFrozen(false));
    }

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
}
