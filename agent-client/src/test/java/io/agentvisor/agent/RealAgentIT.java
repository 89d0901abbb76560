package io.agentvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.agent.AgentOutcome.CommandError;
import io.agentvisor.agent.AgentOutcome.NotResponding;
import io.agentvisor.agent.AgentOutcome.Phase;
import io.agentvisor.agent.GuestCommands.ShutdownMode;
import io.agentvisor.testsupport.HostQemuGa;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Against real qemu-ga 7.2 processes on the host. guest-shutdown is always disabled: it would stop the host. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RealAgentIT {
    private static AgentRuntime runtime;

    @BeforeAll
    static void start() {
        runtime = AgentRuntime.create();
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    private static HostQemuGa qemuGa(String... blocked) {
        List<String> args = new ArrayList<>(List.of("-b", String.join(",", withShutdown(blocked))));
        return HostQemuGa.start(args.toArray(String[]::new));
    }

    private static List<String> withShutdown(String... blocked) {
        List<String> all = new ArrayList<>(List.of(blocked));
        all.add(GuestCommands.SHUTDOWN);
        return all;
    }

    @Test
    void everyTypedCall() throws Exception {
        try (HostQemuGa ga = qemuGa()) {
            GuestAgent agent = runtime.open(ga.socket());
            assertTrue(agent.callAndWait(GuestCommands.ping()).isSuccess());
            GuestAgentInfo info = agent.callAndWait(GuestCommands.info()).value();
            assertTrue(info.version().startsWith("7."), info.version());
            assertTrue(info.supports(GuestCommands.PING));
            assertFalse(info.supports(GuestCommands.SHUTDOWN), "disabled with -b");
            assertNotNull(agent.callAndWait(GuestCommands.osInfo()).value().kernelRelease());
            assertFalse(agent.callAndWait(GuestCommands.hostName()).value().isBlank());
            assertNotNull(agent.callAndWait(GuestCommands.timezone()).value());
            assertNotNull(agent.callAndWait(GuestCommands.users()).value());
            assertFalse(agent.callAndWait(GuestCommands.fsInfo()).value().isEmpty(), "the host has mounts");
            List<GuestNetworkInterface> ifs = agent.callAndWait(GuestCommands.networkInterfaces()).value();
            assertTrue(ifs.stream().anyMatch(i -> i.name().equals("lo")
                    && i.ipAddresses().stream().anyMatch(a -> a.address().equals("127.0.0.1"))), ifs.toString());
            Instant t = agent.callAndWait(GuestCommands.time()).value();
            assertTrue(Duration.between(t, Instant.now()).abs().toMinutes() < 5, t.toString());
            CommandError<?> e = assertInstanceOf(CommandError.class,
                    agent.callAndWait(GuestCommands.shutdown(ShutdownMode.POWERDOWN)));
            assertTrue(e.isNotFound(), e.message());
            assertTrue(agent.isConnected());
            assertTrue(agent.lastReply().isPresent());
        }
    }

    @Test
    void aDisabledCommandIsACommandErrorAndLeftOutOfGuestInfo() throws Exception {
        try (HostQemuGa ga = qemuGa(GuestCommands.USERS)) {
            GuestAgent agent = runtime.open(ga.socket());
            CommandError<?> e = assertInstanceOf(CommandError.class, agent.users().get(60, TimeUnit.SECONDS));
            assertEquals("CommandNotFound", e.errorClass());
            assertTrue(e.description().contains("disabled"), e.description());

            GuestInfo gi = agent.guestInfo().get(60, TimeUnit.SECONDS).value();
            assertNull(gi.users());
            assertEquals("disabled in the agent", gi.unavailable().get(GuestCommands.USERS));
            assertNotNull(gi.os());
            assertNotNull(gi.hostName());
            assertNotNull(gi.filesystems());
            assertNotNull(gi.interfaces());
            assertNotNull(gi.time());
        }
    }

    @Test
    void eachTimeoutAgainstAFrozenAgentIsNotRespondingAndTheNextCallGetsItsOwnReply() throws Exception {
        ResponseTimeout[] values = {ResponseTimeout.ofSeconds(3), ResponseTimeout.ofSeconds(7),
            ResponseTimeout.DEFAULT, ResponseTimeout.BLOCK, ResponseTimeout.NO_WAIT, ResponseTimeout.ofSeconds(1)};
        List<HostQemuGa> gas = new ArrayList<>();
        try {
            List<GuestAgent> agents = new ArrayList<>();
            List<CompletableFuture<AgentOutcome<Void>>> calls = new ArrayList<>();
            for (ResponseTimeout t : values) {
                HostQemuGa ga = qemuGa();
                gas.add(ga);
                GuestAgent agent = runtime.open(ga.socket(), AgentOptions.defaults().withResponseTimeout(t));
                agents.add(agent);
                ga.freeze();
            }
            // all at once: the loop keeps every deadline without a thread per call
            for (GuestAgent a : agents) {
                calls.add(a.ping());
            }
            for (int i = 0; i < values.length; i++) {
                NotResponding<?> nr = assertInstanceOf(NotResponding.class, calls.get(i).get(60, TimeUnit.SECONDS), values[i].toString());
                assertEquals(Phase.SYNC, nr.phase(), "a fresh connection stops at the sync");
                // generous bound only: precise timings are the benchmark's job
                assertTrue(nr.waited().toSeconds() < 30, nr.message());
            }
            for (int i = 0; i < values.length; i++) {
                gas.get(i).thaw();
                GuestAgent a = agents.get(i);
                a.setResponseTimeout(ResponseTimeout.ofSeconds(10));
                // guest-ping's late {} must not be taken for the host name
                AgentOutcome<String> next = a.hostName().get(60, TimeUnit.SECONDS);
                assertTrue(next.isSuccess(), values[i] + ": " + next.message());
                assertFalse(next.value().isBlank());
            }
        } finally {
            gas.forEach(HostQemuGa::close);
        }
    }

    @Test
    void aFrozenAgentWithAFullListenBacklogIsNotRespondingNotDisconnected() throws Exception {
        try (HostQemuGa ga = qemuGa()) {
            ga.freeze();
            // every abandoned connection stays in the frozen agent's backlog until it is full (EAGAIN)
            for (int i = 0; i < 5; i++) {
                try (GuestAgent a = runtime.open(ga.socket(),
                        AgentOptions.defaults().withResponseTimeout(ResponseTimeout.ofSeconds(1)))) {
                    AgentOutcome<Void> o = a.callAndWait(GuestCommands.ping());
                    assertInstanceOf(NotResponding.class, o, "attempt " + i + ": " + o.message());
                }
            }
            ga.thaw();
            try (GuestAgent a = runtime.open(ga.socket())) {
                assertTrue(a.callAndWait(GuestCommands.ping()).isSuccess());
            }
        }
    }

    @Test
    void aCommandStuckAfterASuccessfulSyncTimesOutInTheCommandPhase() throws Exception {
        try (HostQemuGa ga = qemuGa()) {
            GuestAgent agent = runtime.open(ga.socket(), AgentOptions.defaults().withResponseTimeout(ResponseTimeout.ofSeconds(2)));
            assertTrue(agent.callAndWait(GuestCommands.ping()).isSuccess());
            ga.freeze();
            NotResponding<?> nr = assertInstanceOf(NotResponding.class, agent.callAndWait(GuestCommands.time()));
            assertEquals(Phase.COMMAND, nr.phase());
            ga.thaw();
            assertFalse(agent.callAndWait(GuestCommands.hostName()).value().isBlank());
        }
    }

    @Test
    void anAgentThatDiesAndComesBackIsUsedAgain() throws Exception {
        try (HostQemuGa ga = qemuGa()) {
            GuestAgent agent = runtime.open(ga.socket());
            assertTrue(agent.callAndWait(GuestCommands.ping()).isSuccess());
            ga.kill();
            AgentOutcome<Void> dead = agent.callAndWait(GuestCommands.ping());
            assertFalse(dead.isSuccess());
            assertTrue(dead instanceof AgentOutcome.NotConnected || dead instanceof AgentOutcome.AgentError, dead.message());
            ga.restart();
            assertTrue(agent.callAndWait(GuestCommands.ping()).isSuccess());
        }
    }
}
