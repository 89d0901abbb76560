package io.agentvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.agent.GuestCommands.ShutdownMode;
import io.agentvisor.testsupport.TinyGuest;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real VM (QEMU, TCG) with qemu-ga inside on a virtio-serial port: the only place guest-shutdown can run,
 * and where the byte stream outlives the host-side connection.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class TinyGuestIT {

    @Test
    void typedCallsFreezeLateRepliesAcrossConnectionsAndShutdown() throws Exception {
        try (TinyGuest vm = TinyGuest.boot(); AgentRuntime runtime = AgentRuntime.create()) {
            GuestAgent agent = runtime.open(vm.agentSocket(),
                    AgentOptions.defaults().withResponseTimeout(ResponseTimeout.ofSeconds(10)));
            GuestInfo info = agent.guestInfo().get(60, TimeUnit.SECONDS).value();
            assertTrue(info.agent().supports(GuestCommands.SHUTDOWN));
            assertNotNull(info.os());
            assertNotNull(info.hostName());

            // the whole VM frozen: the call times out while its request sits in the virtio-serial stream
            agent.setResponseTimeout(ResponseTimeout.ofSeconds(2));
            vm.freeze();
            assertInstanceOf(AgentOutcome.NotResponding.class, agent.time().get(60, TimeUnit.SECONDS));
            agent.close(); // the late reply will arrive on the NEXT host-side connection
            vm.thaw();
            GuestAgent next = runtime.open(vm.agentSocket(),
                    AgentOptions.defaults().withResponseTimeout(ResponseTimeout.ofSeconds(10)));
            AgentOutcome<String> host = next.hostName().get(60, TimeUnit.SECONDS);
            assertEquals(info.hostName(), host.value(), "its own reply, not guest-get-time's late one");

            AgentOutcome<Void> down = next.shutdown(ShutdownMode.POWERDOWN).get(90, TimeUnit.SECONDS);
            assertTrue(down.isSuccess(), down.message());
            assertTrue(vm.process().waitFor(60, TimeUnit.SECONDS), "QEMU exits when the guest powers off");
            assertFalse(next.isConnected());
        }
    }
}
