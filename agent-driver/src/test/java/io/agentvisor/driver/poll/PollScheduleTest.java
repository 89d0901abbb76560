package io.agentvisor.driver.poll;

import io.agentvisor.api.v1alpha1.PollGroup;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PollScheduleTest {
    final Instant t0 = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void defaultsAreTheKubeVirtAndVdsmIntervalsAndPolicyOverridesThem() {
        Map<PollGroup, Duration> d = AgentSettings.DEFAULTS.intervals();
        assertEquals(Duration.ofSeconds(10), d.get(PollGroup.USERS));
        assertEquals(Duration.ofSeconds(120), d.get(PollGroup.OS_INFO));
        assertEquals(Duration.ofSeconds(120), d.get(PollGroup.INTERFACES));
        assertEquals(Duration.ofSeconds(300), d.get(PollGroup.FILESYSTEMS));
        assertEquals(Duration.ofSeconds(300), d.get(PollGroup.AGENT_INFO));
        AgentSettings s = new AgentSettings(true, 3, Map.of(), Set.of(), Map.of("osInfo", 30L), 3);
        assertEquals(Duration.ofSeconds(30), s.intervals().get(PollGroup.OS_INFO));
    }

    @Test
    void everythingIsDueFirstThenEachGroupAtItsInterval() {
        PollSchedule s = new PollSchedule(AgentSettings.DEFAULTS.intervals(), 3, t0);
        assertEquals(List.of(PollGroup.values()), s.due(t0));
        for (PollGroup g : PollGroup.values()) {
            s.groupDone(g, t0);
        }
        assertTrue(s.due(t0.plusSeconds(9)).isEmpty());
        assertEquals(List.of(PollGroup.USERS), s.due(t0.plusSeconds(10)));
        assertEquals(t0.plusSeconds(10), s.nextWake());
        assertEquals(List.of(PollGroup.USERS, PollGroup.OS_INFO, PollGroup.INTERFACES), s.due(t0.plusSeconds(120)));
    }

    @Test
    void aFailedRoundOnlyProbesThenBacksOffAndRecoveryRefreshesEverything() {
        PollSchedule s = new PollSchedule(AgentSettings.DEFAULTS.intervals(), 3, t0);
        s.answered();
        s.roundFailed(t0, t0);
        assertTrue(s.probing());
        assertTrue(s.due(t0.plusSeconds(500)).isEmpty(), "nothing but the probe goes to a silent agent");
        assertFalse(s.probeDue(t0.plusSeconds(9)));
        assertTrue(s.probeDue(t0.plusSeconds(10)));
        // at the users cadence until it counts as unresponsive (3), then doubling up to a minute
        assertEquals(Duration.ofSeconds(10), PollSchedule.probeDelay(2, Duration.ofSeconds(10), 3));
        assertEquals(Duration.ofSeconds(20), PollSchedule.probeDelay(3, Duration.ofSeconds(10), 3));
        assertEquals(Duration.ofSeconds(40), PollSchedule.probeDelay(4, Duration.ofSeconds(10), 3));
        assertEquals(Duration.ofSeconds(60), PollSchedule.probeDelay(9, Duration.ofSeconds(10), 3));
        s.answered();
        assertEquals(List.of(PollGroup.values()), s.due(t0.plusSeconds(11)));
    }

    @Test
    void anAgentThatNeverAnsweredIsProbedEverySecondUntilItDoes() {
        PollSchedule s = new PollSchedule(AgentSettings.DEFAULTS.intervals(), 3, t0);
        for (int i = 0; i < 5; i++) {
            s.roundFailed(t0.plusSeconds(i), t0.plusSeconds(i)); // refused at once (no socket yet)
            assertFalse(s.probeDue(t0.plusSeconds(i).plusMillis(999)));
            assertTrue(s.probeDue(t0.plusSeconds(i + 1)), "a booting guest's agent is looked for every second");
        }
        // a probe that waited out a 5 s guest-sync is followed by the next at once: a sync is always pending
        s.roundFailed(t0.plusSeconds(10), t0.plusSeconds(5));
        assertTrue(s.probeDue(t0.plusSeconds(10)));
        s.roundFailed(t0.plusSeconds(10).plusMillis(300), t0.plusSeconds(10)); // NoWait: paced, never a spin
        assertFalse(s.probeDue(t0.plusSeconds(10).plusMillis(999)));
        assertTrue(s.probeDue(t0.plusSeconds(11)));
        s.answered();
        assertEquals(List.of(PollGroup.values()), s.due(t0.plusSeconds(6)));
        s.roundFailed(t0.plusSeconds(6), t0.plusSeconds(6));
        assertFalse(s.probeDue(t0.plusSeconds(15)), "once it has answered, failures are probed at the users interval");
        assertTrue(s.probeDue(t0.plusSeconds(16)));
    }

    @Test
    void aShorterIntervalAppliesAtOnce() {
        PollSchedule s = new PollSchedule(AgentSettings.DEFAULTS.intervals(), 3, t0);
        for (PollGroup g : PollGroup.values()) {
            s.groupDone(g, t0);
        }
        AgentSettings fast = new AgentSettings(true, -1, Map.of(), Set.of(), Map.of("filesystems", 5L), 3);
        s.setIntervals(fast.intervals(), 3);
        assertEquals(List.of(PollGroup.FILESYSTEMS), s.due(t0.plusSeconds(5)));
    }
}
