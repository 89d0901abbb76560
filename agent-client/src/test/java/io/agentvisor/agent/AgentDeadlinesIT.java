package io.agentvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.agent.AgentOutcome.NotResponding;
import io.agentvisor.agent.AgentOutcome.Phase;
import io.agentvisor.agent.AgentOutcome.Success;
import io.agentvisor.agent.GuestAgent.PendingCall;
import io.agentvisor.testsupport.HostQemuGa;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Which waits a call gets, against real qemu-ga processes on the host (SIGSTOP makes one hang): the sync wait
 * from the VM's timeout alone, the deadline rule for queued calls, and a Block call that no longer hides what
 * waits behind it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AgentDeadlinesIT {
    private static AgentRuntime runtime;
    private static ScheduledExecutorService timer;

    @BeforeAll
    static void start() {
        runtime = AgentRuntime.create();
        timer = Executors.newSingleThreadScheduledExecutor();
    }

    @AfterAll
    static void stop() {
        runtime.close();
        timer.shutdownNow();
    }

    private static HostQemuGa qemuGa() {
        return HostQemuGa.start("-b", GuestCommands.SHUTDOWN);
    }

    @Test
    void aBlockCallIsVisibleAsPendingAndLeavingBlockReleasesTheCallsQueuedBehindIt() throws Exception {
        try (HostQemuGa ga = qemuGa()) {
            GuestAgent agent = runtime.open(ga.socket(), AgentOptions.defaults().withResponseTimeout(ResponseTimeout.BLOCK));
            assertTrue(agent.callAndWait(GuestCommands.ping()).isSuccess());
            ga.freeze();
            Instant before = Instant.now();
            CompletableFuture<AgentOutcome<Instant>> blocked = agent.time(); // synced: straight to the command phase
            while (agent.pending().isEmpty() || agent.pending().get().phase() != Phase.COMMAND) {
                Thread.sleep(10);
            }
            PendingCall p = agent.pending().get();
            assertEquals(GuestCommands.TIME, p.command());
            assertFalse(p.since().isBefore(before.minusSeconds(1)), p.toString());
            CompletableFuture<AgentOutcome<String>> queued = agent.hostName();

            agent.setResponseTimeout(ResponseTimeout.ofSeconds(1));
            NotResponding<?> nr = assertInstanceOf(NotResponding.class, queued.get(30, TimeUnit.SECONDS));
            assertEquals(Phase.QUEUED, nr.phase());
            assertFalse(blocked.isDone(), "the call in progress keeps the Block it was sent with");
            assertEquals(GuestCommands.TIME, agent.pending().orElseThrow().command());

            ga.thaw();
            assertInstanceOf(Success.class, blocked.get(30, TimeUnit.SECONDS));
            assertTrue(agent.pending().isEmpty());
        }
    }

    @Test
    void aCallsOwnTimeoutShortensItsCommandWaitNotTheSync() throws Exception {
        try (HostQemuGa ga = qemuGa()) {
            // the VM's timeout is Default (sync 5 s); this command's own is 1 s
            GuestAgent agent = runtime.open(ga.socket(), AgentOptions.defaults());
            agent.setCommandTimeout(GuestCommands.HOST_NAME, ResponseTimeout.ofSeconds(1));
            ga.freeze();
            // a fresh connection syncs first; the agent wakes up 2.5 s into the sync: within 5 s, not within 1 s
            timer.schedule(ga::thaw, 2500, TimeUnit.MILLISECONDS);
            AgentOutcome<String> o = agent.hostName().get(60, TimeUnit.SECONDS);
            assertInstanceOf(Success.class, o, o.message());
        }
    }

    @Test
    void aCallThatQueuedMostOfItsBudgetGetsOnlyWhatIsLeftForItsSync() throws Exception {
        try (HostQemuGa ga = qemuGa()) {
            // VM timeout 4: sync 4 s + command 4 s, a budget of 8 s from submission
            GuestAgent agent = runtime.open(ga.socket(), AgentOptions.defaults().withResponseTimeout(ResponseTimeout.ofSeconds(4)));
            assertTrue(agent.callAndWait(GuestCommands.ping()).isSuccess());
            ga.freeze();
            // the first call has its own 6 s and times out in its command phase at about 6 s
            CompletableFuture<AgentOutcome<Instant>> first = agent.call(GuestCommands.time(), ResponseTimeout.ofSeconds(6));
            CompletableFuture<AgentOutcome<String>> second = agent.hostName();
            // the agent answers again at 9 s: after the second call's budget (8 s), before a full sync would end (10 s)
            timer.schedule(ga::thaw, 9, TimeUnit.SECONDS);
            NotResponding<?> a = assertInstanceOf(NotResponding.class, first.get(60, TimeUnit.SECONDS));
            assertEquals(Phase.COMMAND, a.phase());
            NotResponding<?> b = assertInstanceOf(NotResponding.class, second.get(60, TimeUnit.SECONDS));
            assertEquals(Phase.SYNC, b.phase(), "its sync got the 2 s left of its budget, not a full 4 s: " + b.message());
            while (ga.isAlive() && !agent.callAndWait(GuestCommands.ping()).isSuccess()) {
                Thread.sleep(100); // until the thaw happened
            }
        }
    }
}
