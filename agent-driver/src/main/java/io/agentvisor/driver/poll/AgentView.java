package io.agentvisor.driver.poll;

import io.agentvisor.agent.GuestFilesystem;
import io.agentvisor.agent.GuestNetworkInterface;
import io.agentvisor.agent.GuestOsInfo;
import io.agentvisor.agent.GuestTimezone;
import io.agentvisor.agent.GuestUser;
import io.agentvisor.agent.PendingCall;
import java.time.Instant;
import java.util.List;

/**
 * What the poller knows about one VM's agent and guest: an immutable snapshot in the cache that reconciles and
 * the status writer read. Guest facts are last-known-good: a failed poll never blanks them.
 *
 * @param connected           the channel to the agent is open
 * @param responsive          fewer than unresponsiveAfter consecutive timeouts and the last call was answered
 * @param consecutiveTimeouts timeouts in a row (reset by any answer)
 * @param errorReason         Timeout, AgentError or NotConnected for the last failure; null after an answer
 * @param lastContact         when the agent last answered (not part of equality-driven writes: see StatusBuilder)
 * @param frozen              guest-fsfreeze-status says "frozen"
 * @param pending             the call the agent has been busy with for longer than the Default wait, if any
 */
public record AgentView(boolean connected, boolean responsive, int consecutiveTimeouts, String errorReason,
        String errorMessage, Instant errorTime, Instant lastContact, boolean frozen, String version,
        List<String> supportedCommands, GuestOsInfo osInfo, String hostname, GuestTimezone timezone,
        List<GuestUser> users, List<GuestFilesystem> filesystems, List<GuestNetworkInterface> interfaces,
        PendingCall pending) {

    public static final AgentView INITIAL = new AgentView(false, false, 0, null, null, null, null, false, null, null,
            null, null, null, null, null, null, null);

    /** Equality without the contact time: the status writer decides separately when contact is worth a write. */
    public boolean sameContentAs(AgentView o) {
        return o != null && withContact(null).equals(o.withContact(null)) && java.util.Objects.equals(errorTime,
                o.errorTime);
    }

    AgentView withContact(Instant t) {
        return new AgentView(connected, responsive, consecutiveTimeouts, errorReason, errorMessage, errorTime, t,
                frozen, version, supportedCommands, osInfo, hostname, timezone, users, filesystems, interfaces, pending);
    }
}
