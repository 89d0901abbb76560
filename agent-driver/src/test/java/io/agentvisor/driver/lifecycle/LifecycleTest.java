package io.agentvisor.driver.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.agentvisor.driver.lifecycle.Lifecycle.Action;
import io.agentvisor.driver.lifecycle.Lifecycle.Request;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LifecycleTest {
    private static final Backoff B = Backoff.DEFAULT;
    private static final long NOW = 1_000_000_000L;

    private static Action decide(Strategy s, boolean running, History h) {
        return Lifecycle.decide(s, running, h, Request.NONE, NOW, B).action();
    }

    private static History exitedNow(ExitReason r) {
        return History.NEW.started().exited(r, NOW, 5_000, B);
    }

    @Test
    void alwaysRestartsAfterAnyExitAndKeepsARunningVm() {
        assertEquals(Action.START, decide(Strategy.Always, false, History.NEW));
        assertEquals(Action.KEEP_RUNNING, decide(Strategy.Always, true, History.NEW.started()));
        assertEquals(Action.START, decide(Strategy.Always, false, exitedNow(ExitReason.GUEST_SHUTDOWN)));
        assertEquals(Action.START, decide(Strategy.Always, false, exitedNow(ExitReason.FAILED)));
    }

    @Test
    void rerunOnFailureRestartsOnlyAfterAFailure() {
        assertEquals(Action.START, decide(Strategy.RerunOnFailure, false, History.NEW));
        assertEquals(Action.START, decide(Strategy.RerunOnFailure, false, exitedNow(ExitReason.FAILED)));
        assertEquals(Action.STAY_STOPPED, decide(Strategy.RerunOnFailure, false, exitedNow(ExitReason.GUEST_SHUTDOWN)));
        // stopped by the driver (e.g. it was Halted before): a change to RerunOnFailure starts it, as in KubeVirt
        assertEquals(Action.START, decide(Strategy.RerunOnFailure, false, exitedNow(ExitReason.STOPPED)));
    }

    @Test
    void haltedStopsAndNeverStarts() {
        assertEquals(Action.STOP, decide(Strategy.Halted, true, History.NEW.started()));
        assertEquals(Action.STAY_STOPPED, decide(Strategy.Halted, false, History.NEW));
        assertEquals(Action.STAY_STOPPED, decide(Strategy.Halted, false, exitedNow(ExitReason.FAILED)));
    }

    @Test
    void onceRunsExactlyOnceWhateverTheExit() {
        assertEquals(Action.START, decide(Strategy.Once, false, History.NEW));
        assertEquals(Action.KEEP_RUNNING, decide(Strategy.Once, true, History.NEW.started()));
        for (ExitReason r : ExitReason.values()) {
            assertEquals(Action.STAY_STOPPED, decide(Strategy.Once, false, exitedNow(r)), r.name());
        }
    }

    @Test
    void manualOnlyActsOnRequests() {
        assertEquals(Action.STAY_STOPPED, decide(Strategy.Manual, false, History.NEW));
        assertEquals(Action.KEEP_RUNNING, decide(Strategy.Manual, true, History.NEW.started()));
        assertEquals(Action.STAY_STOPPED, decide(Strategy.Manual, false, exitedNow(ExitReason.FAILED)));
        assertEquals(Action.START, Lifecycle.decide(Strategy.Manual, false, History.NEW, Request.RUN, NOW, B).action());
        assertEquals(Action.STOP, Lifecycle.decide(Strategy.Manual, true, History.NEW.started(), Request.STOP, NOW, B)
                .action());
        // a crash is not undone by a standing run request: that would be RerunOnFailure
        assertEquals(Action.STAY_STOPPED, Lifecycle.decide(Strategy.Manual, false, exitedNow(ExitReason.FAILED),
                Request.RUN, NOW, B).action());
    }

    @Test
    void repeatedCrashesBackOffAndALongRunResetsTheCount() {
        History h = History.NEW;
        long t = NOW;
        for (int i = 0; i < 3; i++) {
            h = h.started().exited(ExitReason.FAILED, t, 1_000, B);
        }
        assertEquals(3, h.consecutiveExits());
        Lifecycle.Decision d = Lifecycle.decide(Strategy.Always, false, h, Request.NONE, t, B);
        assertEquals(Action.WAIT, d.action());
        assertEquals(Duration.ofSeconds(20), d.waitFor());
        assertEquals(Action.START, Lifecycle.decide(Strategy.Always, false, h, Request.NONE, t + 20_000, B).action());
        History longRun = h.started().exited(ExitReason.FAILED, t, Duration.ofMinutes(11).toMillis(), B);
        assertEquals(1, longRun.consecutiveExits());
        assertEquals(Action.START, decide(Strategy.Always, false, longRun));
        // a stop by the driver never feeds the back-off
        assertEquals(0, h.started().exited(ExitReason.STOPPED, t, 1, B).consecutiveExits());
    }

    @Test
    void backoffDoublesUpToTheCap() {
        assertEquals(Duration.ZERO, B.delay(1));
        assertEquals(Duration.ofSeconds(10), B.delay(2));
        assertEquals(Duration.ofSeconds(40), B.delay(4));
        assertEquals(Duration.ofMinutes(5), B.delay(10));
        assertEquals(Duration.ofMinutes(5), B.delay(1000));
    }

    @Test
    void stopEscalatesFromAgentToAcpiToQuitToKill() {
        Duration g = Duration.ofSeconds(30);
        assertEquals(StopPlan.Step.AGENT_SHUTDOWN, StopPlan.next(Duration.ZERO, g, true, false, false, false));
        assertEquals(StopPlan.Step.ACPI_POWERDOWN, StopPlan.next(Duration.ZERO, g, false, false, false, false));
        assertEquals(StopPlan.Step.WAIT, StopPlan.next(Duration.ofSeconds(5), g, true, true, false, false));
        assertEquals(StopPlan.Step.ACPI_POWERDOWN, StopPlan.next(Duration.ofSeconds(15), g, true, true, false, false));
        assertEquals(StopPlan.Step.WAIT, StopPlan.next(Duration.ofSeconds(20), g, true, true, true, false));
        assertEquals(StopPlan.Step.QMP_QUIT, StopPlan.next(g, g, true, true, true, false));
        assertEquals(StopPlan.Step.WAIT, StopPlan.next(g.plusSeconds(1), g, true, true, true, true));
        assertEquals(StopPlan.Step.KILL, StopPlan.next(g.plus(StopPlan.KILL_AFTER_QUIT), g, true, true, true, true));
    }
}
