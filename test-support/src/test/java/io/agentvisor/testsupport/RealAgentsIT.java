package io.agentvisor.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Smoke tests proving the agent fixtures are the real thing. */
class RealAgentsIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void hostQemuGaAnswersGuestSyncAndStopsAnsweringWhenFrozen() {
        try (HostQemuGa ga = HostQemuGa.start()) {
            assertTrue(AgentProbe.syncs(ga.socket(), Duration.ofSeconds(5)), "qemu-ga must answer guest-sync");
            ga.freeze();
            assertFalse(AgentProbe.syncs(ga.socket(), Duration.ofSeconds(1)), "a SIGSTOPped qemu-ga must not answer");
            ga.thaw();
            assertTrue(AgentProbe.syncs(ga.socket(), Duration.ofSeconds(5)), "qemu-ga must answer again after SIGCONT");
        }
    }

    @Test
    void tinyGuestBootsAndItsOwnAgentReportsTheShippedOsRelease() throws Exception {
        try (TinyGuest guest = TinyGuest.boot()) {
            String reply = AgentProbe.command(guest.agentSocket(), "{\"execute\":\"guest-get-osinfo\"}",
                    Duration.ofSeconds(30));
            assertNotNull(reply, "guest-get-osinfo must be answered by the agent inside the guest");
            JsonNode os = JSON.readTree(reply).path("return");
            // values from the /etc/os-release that scripts/deps.sh writes into the initramfs
            assertEquals("agentvisor-tiny", os.path("id").asText());
            assertEquals("Agentvisor Tiny Guest 1.0 (Debian 12 userland)", os.path("pretty-name").asText());
            // a guest kernel, not the host's: Debian's 6.1 kernel booted under TCG
            assertTrue(os.path("kernel-release").asText().startsWith("6.1."), os.toString());
        }
    }
}
