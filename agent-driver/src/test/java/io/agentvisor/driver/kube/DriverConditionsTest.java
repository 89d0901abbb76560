package io.agentvisor.driver.kube;

import io.agentvisor.driver.kube.VmState.RunState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.conditions.ConditionSet;
import io.agentvisor.driver.credentials.CredentialSync;
import io.agentvisor.driver.poll.AgentLink;
import io.agentvisor.driver.poll.AgentLink.AgentFailure;
import io.agentvisor.driver.poll.AgentSettings;
import io.agentvisor.driver.poll.AgentView;
import io.agentvisor.driver.poll.AgentView.GuestFacts;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The driver's conditions aggregator: one set per status, stable while nothing changes. */
class DriverConditionsTest {
    private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");
    private static final VmState RUNNING = new VmState(new VmState.Qemu(4242L, "tcg"),
            new RunState(RunState.Reason.Running, "QEMU pid 4242 in pod vm-guest, tcg"), true);
    private static final AgentView ANSWERING = new AgentView(new AgentLink(true, true, 0, null, T0, null),
            GuestFacts.NONE);

    private static ConditionSet build(VmState s, AgentView a, List<Condition> stored, Instant now) {
        return DriverConditions.build(s, a, AgentSettings.DEFAULTS, stored, 3L, now);
    }

    @Test
    void aRunningVmWithAnAnsweringAgentIsReadyAndStaysUnchangedAnHourLater() {
        ConditionSet first = build(RUNNING, ANSWERING, null, T0);
        assertEquals(DriverConditions.TYPES.stream().filter(t -> !t.equals(ConditionTypes.ACCESS_CREDENTIALS_SYNCHRONIZED))
                .toList(), first.list().stream().map(Condition::getType).toList(), "no credentials: no such condition");
        first.list().forEach(c -> {
            assertEquals(Condition.TRUE, c.getStatus(), c.getType());
            assertEquals(3L, c.getObservedGeneration(), c.getType());
            assertEquals("2026-11-26T10:00:00Z", c.getLastTransitionTime(), c.getType());
        });
        ConditionSet later = build(RUNNING, ANSWERING, first.list(), T0.plusSeconds(3600));
        assertFalse(later.changed(), "nothing changed: no patch");
        assertEquals("2026-11-26T10:00:00Z", later.get(ConditionTypes.READY).getLastTransitionTime());
    }

    @Test
    void accessCredentialsAreOneMoreConditionOfTheSameSet() {
        VmState applied = new VmState(RUNNING.qemu(), RUNNING.run(), true,
                new CredentialSync.Wanted(true, "Synchronized", "applied Secret keys: 1 authorized key(s) for demo"));
        ConditionSet first = build(applied, ANSWERING, null, T0);
        Condition c = first.get(ConditionTypes.ACCESS_CREDENTIALS_SYNCHRONIZED);
        assertEquals(Condition.TRUE, c.getStatus());
        assertEquals("applied Secret keys: 1 authorized key(s) for demo", c.getMessage());
        // a driver that has not worked them out yet (e.g. just restarted) keeps what is stored
        VmState unknown = new VmState(RUNNING.qemu(), RUNNING.run(), true, null);
        assertFalse(build(unknown, ANSWERING, first.list(), T0.plusSeconds(60)).changed());
        // the VM no longer has credentials: the condition goes
        ConditionSet none = build(RUNNING, ANSWERING, first.list(), T0.plusSeconds(120));
        assertTrue(none.changed());
        assertEquals(null, none.get(ConditionTypes.ACCESS_CREDENTIALS_SYNCHRONIZED));
    }

    @Test
    void anAgentThatTimesOutMakesResponsiveAndReadyFalseFromThatMoment() {
        ConditionSet before = build(RUNNING, ANSWERING, null, T0);
        Instant t1 = T0.plusSeconds(30);
        AgentView timedOut = ANSWERING.with(new AgentLink(true, false, 3, new AgentFailure(AgentFailure.Kind.Timeout,
                "guest-get-users: no reply within 5 s", t1), T0, null));
        ConditionSet after = build(RUNNING, timedOut, before.list(), t1);
        assertTrue(after.changed());
        Condition responsive = after.get(ConditionTypes.AGENT_RESPONSIVE);
        assertEquals(ConditionTypes.REASON_TIMEOUT, responsive.getReason());
        assertEquals("guest-get-users: no reply within 5 s", responsive.getMessage());
        assertEquals("2026-11-26T10:00:30Z", responsive.getLastTransitionTime());
        assertEquals("AgentNotResponsive", after.get(ConditionTypes.READY).getReason());
        assertEquals("2026-11-26T10:00:00Z", after.get(ConditionTypes.AGENT_CONNECTED).getLastTransitionTime(),
                "still connected: its transition time stays");
    }

    @Test
    void aStoppedVmSaysWhyInRunningAndReady() {
        VmState stopped = new VmState(null, new RunState(RunState.Reason.Stopped, "the VM's pod vm-guest is gone"),
                true);
        ConditionSet c = build(stopped, ANSWERING.detached(), null, T0);
        assertEquals("Stopped", c.get(ConditionTypes.RUNNING).getReason());
        assertEquals("Stopped", c.get(ConditionTypes.READY).getReason());
        assertEquals("the VM's pod vm-guest is gone", c.get(ConditionTypes.READY).getMessage());
        assertEquals(ConditionTypes.REASON_NOT_CONNECTED, c.get(ConditionTypes.AGENT_CONNECTED).getReason());
    }

    @Test
    void aVmWithoutAgentIsReadyWhenRunning() {
        VmState noAgent = new VmState(RUNNING.qemu(), RUNNING.run(), false);
        ConditionSet c = build(noAgent, AgentView.INITIAL, null, T0);
        assertEquals(Condition.TRUE, c.get(ConditionTypes.READY).getStatus());
        assertEquals(ConditionTypes.REASON_NOT_CONFIGURED, c.get(ConditionTypes.AGENT_RESPONSIVE).getReason());
    }

    @Test
    void theFailureKindsAreTheApisReasons() {
        assertEquals(List.of(ConditionTypes.REASON_TIMEOUT, ConditionTypes.REASON_AGENT_ERROR,
                ConditionTypes.REASON_NOT_CONNECTED, ConditionTypes.REASON_CALL_PENDING),
                java.util.Arrays.stream(AgentFailure.Kind.values()).map(Enum::name).toList());
    }
}
