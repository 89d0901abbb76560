package io.agentvisor.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicBoolean;

import io.fabric8.kubernetes.client.ConfigBuilder;
import org.junit.jupiter.api.Test;

class ApiReachabilityTest {

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }
    }

    @Test
    void unreachableOnlyAfterNoProbeSucceededForTheGracePeriod() {
        ManualClock clock = new ManualClock();
        AtomicBoolean up = new AtomicBoolean(true);
        ApiReachability api = new ApiReachability("https://api:6443", () -> {
            if (!up.get()) {
                throw new IOException("wrapped", new ConnectException("Connection refused"));
            }
            return "v1.33";
        }, clock, Duration.ofSeconds(20), () -> {
        });

        assertFalse(api.status().reachable(), "never reached: not ready");
        assertEquals("the start-up check has not passed yet", api.status().problem());

        api.probe();
        Instant contact = clock.now;
        assertTrue(api.status().reachable());
        assertNull(api.status().problem());

        // one failed probe, or a few within the grace period: still reachable (no flapping), problem reported
        up.set(false);
        clock.advance(Duration.ofSeconds(5));
        api.probe();
        clock.advance(Duration.ofSeconds(15));
        api.probe();
        assertTrue(api.status().reachable());
        assertEquals("Connection refused", api.status().problem());
        assertEquals(contact, api.status().lastContact());

        clock.advance(Duration.ofSeconds(1));
        assertFalse(api.status().reachable());
        assertEquals("Connection refused", api.status().problem());

        up.set(true);
        api.probe();
        assertTrue(api.status().reachable());
        assertEquals(clock.now, api.status().lastContact());
        assertNull(api.status().problem());
    }

    @Test
    void probesTheApiOfTheClientConfiguration() {
        try (ApiReachability api = ApiReachability.of(new ConfigBuilder().withMasterUrl("https://127.0.0.1:1")
                .withTrustCerts(true).build(), Duration.ofSeconds(2))) {
            assertEquals("https://127.0.0.1:1/", api.url());
            api.probe();
            assertFalse(api.status().reachable());
            assertEquals("Connection refused", api.status().problem());
        }
    }
}
