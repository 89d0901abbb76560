package io.agentvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.agent.AgentOutcome.NotConnected;
import io.agentvisor.agent.GuestCommands.ShutdownMode;
import io.agentvisor.qmp.AgentChannel;
import io.agentvisor.qmp.QmpClient;
import io.agentvisor.testsupport.TinyGuest;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * QEMU's view of the guest fed into the agent, against the real tiny guest: connected means the guest opened its
 * end of the agent channel, calls fail at once while it has not or while the VM is paused, and guest-shutdown is
 * judged by the QMP event its mode causes (RESET for a reboot, SHUTDOWN for a powerdown).
 */
@Timeout(value = 400, unit = TimeUnit.SECONDS)
class GuestChannelIT {
    private static final Duration QMP = Duration.ofSeconds(10);

    @Test
    void connectedFollowsTheGuestsEndPausedFailsAtOnceAndShutdownModesCompleteOnTheirEvents() throws Exception {
        AgentChannel channel = new AgentChannel("qga0", "qga0-port");
        AtomicReference<GuestAgent> fed = new AtomicReference<>();
        try (TinyGuest vm = TinyGuest.start(); AgentRuntime runtime = AgentRuntime.create();
             QmpClient qmp = QmpClient.connect(vm.qmpSocket(), QMP, "qmp-test", e -> {
                 GuestAgent a = fed.get();
                 if (a != null) {
                     channel.apply(e, a);
                 }
             }, () -> { })) {
            GuestAgent agent = runtime.open(vm.agentSocket(), AgentOptions.defaults().withResponseTimeout(ResponseTimeout.ofSeconds(10)));
            fed.set(agent);
            Optional<Boolean> open = channel.init(qmp, agent, QMP);
            if (open.orElseThrow()) {
                throw new IllegalStateException("the guest opened its agent port before QMP could look (boot too fast?)");
            }
            // the host socket accepts a connection, but nobody is at the other end yet: not connected, at once
            assertFalse(agent.isConnected());
            NotConnected<?> early = assertInstanceOf(NotConnected.class, agent.ping().get(60, TimeUnit.SECONDS));
            assertTrue(early.message().contains("not connected"), early.message());

            awaitConnected(agent);
            assertTrue(agent.callAndWait(GuestCommands.ping()).isSuccess());

            qmp.execute("stop", null, QMP);
            awaitPaused(agent);
            NotConnected<?> paused = assertInstanceOf(NotConnected.class, agent.ping().get(60, TimeUnit.SECONDS));
            assertTrue(paused.message().contains("paused"), paused.message());
            qmp.execute("cont", null, QMP);
            awaitAnswer(agent);

            // reboot: qemu-ga sends no reply; QEMU's RESET says it took effect
            AgentOutcome<Void> reboot = agent.shutdown(ShutdownMode.REBOOT).get(90, TimeUnit.SECONDS);
            assertTrue(reboot.isSuccess(), reboot.message());
            assertTrue(vm.process().isAlive(), "a reboot keeps QEMU running");
            awaitConnected(agent);
            awaitAnswer(agent); // the rebooted guest's new agent, after a fresh sync

            AgentOutcome<Void> down = agent.shutdown(ShutdownMode.POWERDOWN).get(90, TimeUnit.SECONDS);
            assertTrue(down.isSuccess(), down.message());
            assertTrue(vm.process().waitFor(60, TimeUnit.SECONDS), "QEMU exits when the guest powers off");
        }
    }

    private static void awaitConnected(GuestAgent agent) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (!agent.isConnected()) {
            assertTrue(System.nanoTime() < deadline, "the guest never opened its end of the agent channel");
            Thread.sleep(50);
        }
    }

    private static void awaitPaused(GuestAgent agent) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(agent.ping().get(60, TimeUnit.SECONDS) instanceof NotConnected<?>)) {
            assertTrue(System.nanoTime() < deadline, "STOP never reached the agent");
        }
    }

    private static void awaitAnswer(GuestAgent agent) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        AgentOutcome<Void> o;
        while (!(o = agent.ping().get(60, TimeUnit.SECONDS)).isSuccess()) {
            assertTrue(System.nanoTime() < deadline, "no answer: " + o.message());
            Thread.sleep(200);
        }
        assertEquals(true, o.isSuccess());
    }
}
