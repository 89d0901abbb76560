package io.agentvisor.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EventNamesTest {
    @Test
    void shortNamesKeepTheirNameLongOnesAreCutToAValidName() {
        assertEquals("demo.0123abcd", EventNames.of("demo", "0123abcd"));
        String longest = "a".repeat(243) + ".b" + "c".repeat(8); // 253 characters, a '.' where the cut falls
        String n = EventNames.of(longest, "0123abcd");
        assertEquals("a".repeat(243) + ".0123abcd", n);
        assertTrue(n.length() <= 253);
        assertTrue(n.matches(Patterns.DNS_SUBDOMAIN), n);
        assertEquals(253, EventNames.of("x".repeat(253)).length());
    }
}
