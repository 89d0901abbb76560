package io.agentvisor.driver.poll;

import io.agentvisor.driver.poll.AgentLink.AgentFailure;
import io.agentvisor.driver.poll.AgentView.GuestFacts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.agent.AgentOutcome;
import io.agentvisor.agent.GuestAgent.PendingCall;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The named updates of the agent's link, as the poller applies them. */
class AgentLinkTest {
    private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");

    @Test
    void unresponsiveAfterTheConfiguredRunOfTimeoutsAndTheFailureKeepsItsFirstTime() {
        AgentLink l = AgentLink.INITIAL.answered(T0);
        AgentLink one = l.timedOut(true, 2, "no reply", T0.plusSeconds(5));
        assertTrue(one.responsive(), "one timeout of two");
        AgentLink two = one.timedOut(true, 2, "no reply", T0.plusSeconds(10));
        assertFalse(two.responsive());
        assertEquals(2, two.consecutiveTimeouts());
        assertEquals("Timeout", two.errorReason());
        assertEquals(T0.plusSeconds(5), two.lastError().since(), "the same kind repeats: its first time stays");
        assertEquals(T0, two.lastContact());
        AgentLink other = two.failed(false, AgentFailure.Kind.NotConnected, "closed", T0.plusSeconds(15));
        assertEquals(T0.plusSeconds(15), other.lastError().since(), "another kind: a new time");
        assertEquals(0, other.consecutiveTimeouts());
        AgentLink back = other.answered(T0.plusSeconds(20));
        assertTrue(back.responsive());
        assertNull(back.lastError());
    }

    @Test
    void aBlockCallThatWaitsTooLongMakesTheAgentUnresponsiveOnce() {
        PendingCall call = new PendingCall("guest-exec-status", AgentOutcome.Phase.COMMAND, T0, true);
        AgentLink l = AgentLink.INITIAL.answered(T0);
        AgentLink waiting = l.busyWith(call, false, T0.plusSeconds(5));
        assertTrue(waiting.responsive());
        assertEquals(call, waiting.pending());
        AgentLink stuck = waiting.busyWith(call, true, T0.plusSeconds(15));
        assertFalse(stuck.responsive());
        assertEquals("CallPending", stuck.errorReason());
        assertEquals(stuck.lastError(), stuck.busyWith(call, true, T0.plusSeconds(20)).lastError(),
                "still the same pending call: the failure does not change");
    }

    @Test
    void aDetachedViewKeepsGuestFactsAndTheLastContactOnly() {
        AgentView v = new AgentView(AgentLink.INITIAL.answered(T0), GuestFacts.NONE.withHostname("h").withFrozen(true));
        AgentView d = v.detached();
        assertFalse(d.link().connected());
        assertEquals(T0, d.link().lastContact());
        assertEquals("h", d.guest().hostname());
        assertFalse(d.guest().frozen());
    }
}
