package io.agentvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.testsupport.HostQemuGa;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hundreds of real agents, a fifth of them frozen, on one runtime: the frozen ones cost no threads and delay
 * nobody. (200 qemu-ga processes is what a 2-core CI box runs comfortably; the design does not depend on it.)
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ManyAgentsIT {
    private static final int AGENTS = Integer.getInteger("agentvisor.it.agents", 200);
    private static final int FROZEN = AGENTS / 5;

    @Test
    void frozenAgentsCostNoThreadsAndDelayNobody() throws Exception {
        List<HostQemuGa> gas = new ArrayList<>();
        ExecutorService starter = Executors.newFixedThreadPool(4);
        try (AgentRuntime runtime = AgentRuntime.create()) {
            List<Future<HostQemuGa>> started = new ArrayList<>();
            for (int i = 0; i < AGENTS; i++) {
                started.add(starter.submit(() -> HostQemuGa.start("-b", GuestCommands.SHUTDOWN)));
            }
            for (Future<HostQemuGa> f : started) {
                gas.add(f.get());
            }
            List<GuestAgent> agents = new ArrayList<>();
            for (HostQemuGa ga : gas) {
                // 10 s: a frozen agent's call stays pending while all the healthy ones are served
                agents.add(runtime.open(ga.socket(), AgentOptions.defaults().withResponseTimeout(ResponseTimeout.ofSeconds(10))));
            }
            for (GuestAgent a : agents) {
                assertTrue(a.ping().get(60, TimeUnit.SECONDS).isSuccess(), "all connected and synchronised");
            }
            for (int i = 0; i < FROZEN; i++) {
                gas.get(i).freeze();
            }
            List<CompletableFuture<AgentOutcome<String>>> frozen = new ArrayList<>();
            for (int i = 0; i < FROZEN; i++) {
                frozen.add(agents.get(i).hostName());
            }
            int threadsDuring = runtimeThreads();
            for (int round = 0; round < 3; round++) {
                List<CompletableFuture<AgentOutcome<String>>> healthy = new ArrayList<>();
                for (int i = FROZEN; i < AGENTS; i++) {
                    healthy.add(agents.get(i).hostName());
                }
                for (CompletableFuture<AgentOutcome<String>> h : healthy) {
                    AgentOutcome<String> o = h.get(60, TimeUnit.SECONDS);
                    assertTrue(o.isSuccess(), o.message());
                }
            }
            long stillPending = frozen.stream().filter(f -> !f.isDone()).count();
            assertTrue(stillPending > 0, "the healthy agents were served while frozen calls were pending");
            for (CompletableFuture<AgentOutcome<String>> f : frozen) {
                assertInstanceOf(AgentOutcome.NotResponding.class, f.get(60, TimeUnit.SECONDS));
            }
            assertTrue(threadsDuring <= 3, "one loop + two completion threads, not one per agent: " + threadsDuring);
            assertTrue(runtimeThreads() <= 3, "threads: " + runtimeThreads());
            for (int i = 0; i < FROZEN; i++) {
                gas.get(i).thaw();
            }
            for (GuestAgent a : agents) {
                assertFalse(a.hostName().get(60, TimeUnit.SECONDS).value().isBlank(), "every agent answers again after SIGCONT");
            }
            assertEquals(AGENTS, agents.size());
        } finally {
            starter.shutdownNow();
            gas.parallelStream().forEach(HostQemuGa::close);
        }
    }

    private static int runtimeThreads() {
        return (int) Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("agentvisor-agent-")).count();
    }
}
