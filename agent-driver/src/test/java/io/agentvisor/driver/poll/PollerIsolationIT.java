package io.agentvisor.driver.poll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.agent.AgentRuntime;
import io.agentvisor.testsupport.Await;
import io.agentvisor.testsupport.HostQemuGa;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;

/**
 * Real qemu-ga agents on the host, one poller each on ONE scheduler thread and one agent event loop: with one
 * agent frozen (SIGSTOP), every other VM's cache keeps getting fresh answers, the frozen one turns unresponsive
 * after unresponsiveAfter timeouts and recovers by itself after SIGCONT.
 */
class PollerIsolationIT {
    @Test
    void aFrozenAgentDelaysNoOtherVm() throws Exception {
        int n = 5;
        List<HostQemuGa> agents = new ArrayList<>();
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        Map<String, Integer> changes = new ConcurrentHashMap<>();
        List<AgentPoller> pollers = new ArrayList<>();
        // users every second (the probe cadence too), 1 s timeout, unresponsive after 2 timeouts
        AgentSettings s = new AgentSettings(true, 1, Map.of(), Set.of(), Map.of("users", 1L), 2);
        try (AgentRuntime runtime = AgentRuntime.create()) {
            for (int i = 0; i < n; i++) {
                HostQemuGa ga = HostQemuGa.start();
                agents.add(ga);
                String vm = "vm" + i;
                AgentPoller p = new AgentPoller(vm, runtime.open(ga.socket()), s, scheduler, Clock.systemUTC(),
                        AgentMetrics.NONE, v -> changes.merge(vm, 1, Integer::sum));
                pollers.add(p);
                p.start();
            }
            for (AgentPoller p : pollers) {
                // the first round reads every group
                Await.until("a first full round", Duration.ofSeconds(30), () -> p.view().link().responsive() && p.view().guest().osInfo() != null && p.view().guest().hostname() != null
                        && p.view().guest().version() != null && p.view().guest().supportedCommands() != null);
                assertTrue(p.view().guest().supportedCommands().contains("guest-get-users"));
            }

            agents.get(0).freeze();
            Await.until("the frozen agent unresponsive", Duration.ofSeconds(30), () -> !pollers.get(0).view().link().responsive());
            assertEquals("Timeout", pollers.get(0).view().link().errorReason());
            assertNotNull(pollers.get(0).view().guest().osInfo(), "last known good guest info is kept");
            // while it stays frozen, each other agent answers again and again
            Map<Integer, Instant> seen = new ConcurrentHashMap<>();
            for (int i = 1; i < n; i++) {
                seen.put(i, pollers.get(i).view().link().lastContact());
            }
            for (int round = 0; round < 3; round++) {
                for (int i = 1; i < n; i++) {
                    Instant before = seen.get(i);
                    AgentPoller p = pollers.get(i);
                    Await.until("another answer of agent " + i, Duration.ofSeconds(10),
                            () -> p.view().link().lastContact().isAfter(before));
                    assertTrue(p.view().link().responsive());
                    seen.put(i, p.view().link().lastContact());
                }
            }
            assertFalse(pollers.get(0).view().link().responsive());

            agents.get(0).thaw();
            Await.until("the thawed agent responsive", Duration.ofSeconds(90), () -> pollers.get(0).view().link().responsive());
            assertEquals(null, pollers.get(0).view().link().errorReason());
        } finally {
            pollers.forEach(AgentPoller::close);
            scheduler.shutdownNow();
            agents.forEach(HostQemuGa::close);
        }
    }
}
