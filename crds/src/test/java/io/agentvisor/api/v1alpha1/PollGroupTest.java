package io.agentvisor.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class PollGroupTest {

    @Test
    void eachGroupIsTheFieldOfPollIntervalsNamedByItsKey() {
        ObjectMapper json = new ObjectMapper();
        for (PollGroup g : PollGroup.values()) {
            PollIntervals p = new PollIntervals();
            p.set(g, "7s");
            assertEquals(Map.of(g.key, "7s"), json.convertValue(p, Map.class), g.name());
            assertEquals("7s", p.get(g));
        }
    }

    @Test
    void defaultsAreValidIntervals() {
        for (PollGroup g : PollGroup.values()) {
            assertEquals(g.defaultInterval, Durations.parsePositive(g.defaultText, g.key));
        }
        assertEquals(10, PollGroup.USERS.defaultInterval.toSeconds());
    }
}
