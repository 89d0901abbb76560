package io.agentvisor.driver.kube;

import io.agentvisor.driver.kube.VmState.RunState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.agentvisor.agent.AgentOutcome;
import io.agentvisor.agent.GuestAgent.PendingCall;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.agentvisor.driver.poll.AgentLink;
import io.agentvisor.driver.poll.AgentSettings;
import io.agentvisor.driver.poll.AgentView;
import io.agentvisor.driver.poll.AgentView.GuestFacts;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The driver's status is a pure function: equal inputs give an equal status, so an idle VM costs no writes. */
class StatusBuilderTest {
    private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");
    private static final VmState RUNNING = new VmState(new VmState.Qemu(4242L, "tcg"),
            new RunState(RunState.Reason.Running, "QEMU pid 4242 in pod vm-guest, tcg"), true);

    private static AgentView answered(Instant at, String hostname) {
        return new AgentView(new AgentLink(true, true, 0, null, at, null), new GuestFacts(false, "7.2.22",
                List.of("guest-ping"), null, hostname, null, List.of(), List.of(), List.of()));
    }

    private static VirtualMachineStatus write(VirtualMachineStatus stored, AgentView view, Instant now) {
        VirtualMachineStatus desired = StatusBuilder.build(RUNNING, view, AgentSettings.DEFAULTS, stored, 1L, now);
        return KubeOps.owned(desired).equals(KubeOps.owned(stored)) ? null
                : StatusBuilder.withContact(desired, view.link().lastContact());
    }

    @Test
    void anAgentThatKeepsAnsweringTheSameCostsNoWritesHowEverLongItRuns() {
        VirtualMachineStatus stored = write(null, answered(T0, "guest"), T0);
        assertEquals("2026-11-26T10:00:00Z", stored.getAgent().getLastContact(), "the first write carries the stamp");
        for (int minute = 1; minute <= 120; minute++) {
            Instant now = T0.plus(Duration.ofMinutes(minute));
            assertNull(write(stored, answered(now, "guest"), now), "minute " + minute + ": nothing changed, no write");
        }
    }

    @Test
    void theStampRidesAlongWithARealChangeAtMostOnceAMinute() {
        VirtualMachineStatus stored = write(null, answered(T0, "guest"), T0);
        Instant later = T0.plus(Duration.ofMinutes(10));
        VirtualMachineStatus changed = write(stored, answered(later, "renamed"), later);
        assertEquals("renamed", changed.getGuest().getHostname());
        assertEquals("2026-11-26T10:10:00Z", changed.getAgent().getLastContact());
        Instant soon = later.plusSeconds(20);
        VirtualMachineStatus again = write(changed, answered(soon, "renamed-again"), soon);
        assertNotEquals(changed.getGuest().getHostname(), again.getGuest().getHostname());
        assertEquals("2026-11-26T10:10:00Z", again.getAgent().getLastContact(), "20 s later: the stamp stays");
    }

    @Test
    void aCallThatWaitsIsInStatusWithWhatItIsAndSinceWhenUntilItEnds() {
        Instant since = T0.plusSeconds(5);
        AgentView waiting = answered(T0, "guest").with(new AgentLink(true, false, 2, null, T0,
                new PendingCall("guest-fsfreeze-freeze", AgentOutcome.Phase.COMMAND, since, true)));
        VirtualMachineStatus st = StatusBuilder.build(RUNNING, waiting, AgentSettings.DEFAULTS, null, 1L,
                since.plusSeconds(30));
        assertEquals("guest-fsfreeze-freeze", st.getAgent().getPendingCall().getCommand());
        assertEquals("Command", st.getAgent().getPendingCall().getPhase());
        assertEquals("2026-11-26T10:00:05Z", st.getAgent().getPendingCall().getSince());
        assertEquals(Boolean.TRUE, st.getAgent().getPendingCall().getBlocking());
        assertEquals("Unresponsive", String.valueOf(st.getAgent().getState()), "a blocked call does not blind health");
        VirtualMachineStatus done = StatusBuilder.build(RUNNING, answered(T0.plusSeconds(60), "guest"),
                AgentSettings.DEFAULTS, st, 1L, T0.plusSeconds(60));
        assertNull(done.getAgent().getPendingCall(), "the call ended: no pending call");
    }
}
