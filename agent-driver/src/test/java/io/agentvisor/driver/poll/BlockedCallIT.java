package io.agentvisor.driver.poll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.agent.AgentRuntime;
import io.agentvisor.agent.AgentOutcome.Phase;
import io.agentvisor.testsupport.Await;
import io.agentvisor.testsupport.HostQemuGa;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;

/**
 * A VM whose timeout is Block and whose agent stops answering in the middle of a command (real qemu-ga, SIGSTOP
 * after it synchronised): the pending call shows in the view, the agent turns Unresponsive (CallPending) after
 * unresponsiveAfter Default waits instead of staying Responsive forever, and leaving Block releases the poller.
 */
class BlockedCallIT {
    @Test
    void aBlockedCallDoesNotBlindTheHealthSignal() throws Exception {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        // Block; users every second; Unresponsive after 2 (so after 2 x 5 s of a blocked call)
        AgentSettings block = new AgentSettings(true, -2, Map.of(), Set.of(), Map.of("users", 1L), 2);
        AgentPoller poller = null;
        try (AgentRuntime runtime = AgentRuntime.create(); HostQemuGa ga = HostQemuGa.start()) {
            poller = new AgentPoller("vm", runtime.open(ga.socket()), block, scheduler, Clock.systemUTC(),
                    AgentMetrics.NONE, v -> { });
            AgentPoller p = poller;
            p.start();
            Await.until("a first full round", Duration.ofSeconds(30), () -> p.view().link().responsive()
                    && p.view().guest().hostname() != null);

            ga.freeze(); // the next poll is written on a synchronised connection and waits forever for its reply
            Await.until("the pending call in the view", Duration.ofSeconds(30), () -> p.view().link().pending() != null);
            assertEquals(Phase.COMMAND, p.view().link().pending().phase());
            assertTrue(p.view().link().pending().blocking());
            Await.until("Unresponsive while the Block call waits", Duration.ofSeconds(60), () -> !p.view().link().responsive());
            assertEquals("CallPending", p.view().link().errorReason());
            assertTrue(p.view().link().lastError().message().contains(p.view().link().pending().command()), p.view().link().lastError().message());
            assertNotNull(p.view().guest().hostname(), "last known good guest info is kept");

            // leaving Block: the calls queued behind the blocked one take the new timeout, the poller goes on probing
            p.apply(new AgentSettings(true, 1, Map.of(), Set.of(), Map.of("users", 1L), 2));
            ga.thaw();
            Await.until("Responsive again", Duration.ofSeconds(60), () -> p.view().link().responsive());
            Await.until("no pending call", Duration.ofSeconds(30), () -> p.view().link().pending() == null);
            assertNull(p.view().link().errorReason());
            assertFalse(p.view().guest().frozen());
        } finally {
            if (poller != null) {
                poller.close();
            }
            scheduler.shutdownNow();
        }
    }
}
