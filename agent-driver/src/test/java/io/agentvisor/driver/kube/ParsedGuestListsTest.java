package io.agentvisor.driver.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.agentvisor.agent.GuestList;
import io.agentvisor.agent.GuestNetworkInterface;
import io.agentvisor.agent.GuestUser;
import io.agentvisor.api.v1alpha1.Bounds;
import io.agentvisor.api.v1alpha1.GuestStatus;
import io.agentvisor.driver.poll.AgentLink;
import io.agentvisor.driver.poll.AgentView;
import io.agentvisor.driver.poll.AgentView.GuestFacts;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Lists the agent client cut when it parsed the reply ({@link GuestList}: the items kept and how many the guest
 * reported): status.guest.truncated counts what the guest reported, not what the driver still holds.
 */
class ParsedGuestListsTest {

    static AgentView view(List<GuestUser> users, List<GuestNetworkInterface> nics) {
        return new AgentView(AgentLink.INITIAL, new GuestFacts(false, "7.2", List.of("guest-ping"), null, "vm", null,
                users, null, nics));
    }

    @Test
    void aListCutAtParseTimeIsReportedWithTheGuestsCount() {
        List<GuestUser> kept = Collections.nCopies(64, new GuestUser("u", null, Instant.ofEpochSecond(1)));
        GuestStatus g = StatusBuilder.guest(view(GuestList.of(kept, 100_000), null));
        assertEquals(Bounds.USERS, g.getUsers().size());
        assertEquals(List.of("users: 100000 reported, 32 kept"), g.getTruncated());
    }

    @Test
    void aListCutAtParseTimeBelowTheStatusBoundIsStillMarked() {
        List<GuestUser> kept = Collections.nCopies(10, new GuestUser("u", null, null));
        GuestStatus g = StatusBuilder.guest(view(GuestList.of(kept, 20), null));
        assertEquals(10, g.getUsers().size());
        assertEquals(List.of("users: 20 reported, 10 kept"), g.getTruncated());
    }

    @Test
    void nestedListsCutAtParseTimeToo() {
        GuestNetworkInterface.IpAddress ip = new GuestNetworkInterface.IpAddress("ipv4", "10.0.0.1", 24);
        GuestNetworkInterface nic = new GuestNetworkInterface("eth0", null, GuestList.of(List.of(ip), 5000));
        GuestStatus g = StatusBuilder.guest(view(null, List.of(nic)));
        assertEquals(List.of("10.0.0.1/24"), g.getInterfaces().get(0).getIpAddresses());
        assertEquals(List.of("addresses (of the interfaces kept): 5000 reported, 1 kept"), g.getTruncated());
    }

    @Test
    void anUncutGuestListLeavesNoMark() {
        GuestStatus g = StatusBuilder.guest(view(GuestList.copyOf(List.of(new GuestUser("root", null, null))), null));
        assertNull(g.getTruncated());
    }
}
