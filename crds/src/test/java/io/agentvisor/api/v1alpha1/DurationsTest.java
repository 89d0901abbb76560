package io.agentvisor.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void parsesGoDurations() {
        assertEquals(Duration.ofSeconds(10), Durations.parse("10s", "f"));
        assertEquals(Duration.ofMinutes(2), Durations.parse("2m", "f"));
        assertEquals(Duration.ofMinutes(90), Durations.parse("1h30m", "f"));
        assertEquals(Duration.ofMillis(1500), Durations.parse("1.5s", "f"));
        assertEquals(Duration.ofMillis(250), Durations.parse("250ms", "f"));
    }

    @Test
    void rejectsNonDurationsAndZeroNamingTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Durations.parse("soon", "spec.pollIntervals.users"));
        assertEquals("spec.pollIntervals.users: \"soon\" is not a duration (e.g. 10s, 2m, 1h30m)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("-5s", "f"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("10", "f"));
        e = assertThrows(IllegalArgumentException.class, () -> Durations.parsePositive("0s", "f"));
        assertEquals("f: \"0s\" must be a positive duration", e.getMessage());
    }

    @Test
    void schemaPatternAcceptsExactlyPositiveWholeDurations() {
        Pattern p = Pattern.compile(Patterns.POSITIVE_DURATION);
        for (String ok : new String[] { "10s", "2m", "1h30m", "500ms", "120s" }) {
            assertEquals(true, p.matcher(ok).matches(), ok);
        }
        for (String bad : new String[] { "0s", "-1s", "10", "s", "1.5s", "1d", "" }) {
            assertEquals(false, p.matcher(bad).matches(), bad);
        }
    }
}
