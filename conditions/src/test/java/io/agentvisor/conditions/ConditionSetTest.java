package io.agentvisor.conditions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentvisor.api.v1alpha1.Condition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConditionSetTest {
    private static final Instant T0 = Instant.parse("2026-11-26T08:00:00.750Z");
    private static final List<String> OWN = List.of("Ready", "Running");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<Condition> stored(ConditionSet s, Condition... others) {
        List<Condition> all = new ArrayList<>(List.of(others));
        all.addAll(s.list());
        return all;
    }

    private static Condition other(String type) {
        Condition c = new Condition();
        c.setType(type);
        c.setStatus(Condition.TRUE);
        return c;
    }

    @Test
    void everyConditionCarriesTheGenerationAndTheTimeOfItsLastTransitionInSeconds() {
        ConditionSet s = new ConditionSet(OWN, null, 7L, T0).set("Ready", true, "Ready", "running");
        Condition c = s.get("Ready");
        assertEquals(7L, c.getObservedGeneration());
        assertEquals("True", c.getStatus());
        assertEquals("2026-11-26T08:00:00Z", c.getLastTransitionTime());
        assertTrue(s.changed(), "nothing was stored");
    }

    @Test
    void theTransitionTimeStaysWhileTheStatusStaysAndMovesWhenItFlips() {
        ConditionSet first = new ConditionSet(OWN, null, 1L, T0).set("Ready", true, "A", "m");
        ConditionSet same = new ConditionSet(OWN, stored(first), 2L, T0.plusSeconds(60))
                .set("Ready", true, "B", "other");
        ConditionSet flipped = new ConditionSet(OWN, stored(same), 2L, T0.plusSeconds(120))
                .set("Ready", false, "B", "m");
        assertEquals("2026-11-26T08:00:00Z", same.get("Ready").getLastTransitionTime());
        assertEquals(2L, same.get("Ready").getObservedGeneration());
        assertEquals("2026-11-26T08:02:00Z", flipped.get("Ready").getLastTransitionTime());
        assertFalse(same.transitioned("Running"), "not set: no transition");
        assertTrue(same.transitioned("Ready"), "the reason changed");
        assertTrue(flipped.transitioned("Ready"));
    }

    @Test
    void theSameConditionsLaterAreNoChangeSoNoWrite() {
        ConditionSet first = new ConditionSet(OWN, null, 3L, T0).set("Ready", true, "Ready", "m")
                .set("Running", true, "Running", "pid 1");
        ConditionSet later = new ConditionSet(OWN, stored(first, other("Scheduled")), 3L, T0.plusSeconds(3600))
                .set("Running", true, "Running", "pid 1").set("Ready", true, "Ready", "m");
        assertFalse(later.changed(), "same statuses an hour later: nothing to write");
        assertFalse(later.transitioned("Ready"));
        assertEquals(JSON.valueToTree(first.list()), JSON.valueToTree(later.list()), "transition times kept");
    }

    @Test
    void aNewGenerationAMessageOrAnAbsentConditionIsAChange() {
        ConditionSet first = new ConditionSet(OWN, null, 3L, T0).set("Ready", true, "Ready", "m")
                .set("Running", true, "Running", "pid 1");
        assertTrue(new ConditionSet(OWN, stored(first), 4L, T0).set("Ready", true, "Ready", "m")
                .set("Running", true, "Running", "pid 1").changed(), "observedGeneration");
        assertTrue(new ConditionSet(OWN, stored(first), 3L, T0).set("Ready", true, "Ready", "m2")
                .set("Running", true, "Running", "pid 1").changed(), "message");
        ConditionSet without = new ConditionSet(OWN, stored(first), 3L, T0).set("Ready", true, "Ready", "m");
        assertTrue(without.changed(), "Running no longer set: to be removed");
        assertNull(without.get("Running"));
    }

    @Test
    void theOtherWritersConditionsAreNotLookedAtAndCannotBeSet() {
        ConditionSet s = new ConditionSet(OWN, List.of(other("Scheduled")), 1L, T0);
        assertNull(s.stored("Scheduled"));
        assertFalse(s.changed());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> s.set("Scheduled", true, "Placed", "m"));
        assertEquals("condition Scheduled is not one of this writer's [Ready, Running]", e.getMessage());
    }

    @Test
    void reasonAndMessageAreCutToTheirSchemaBounds() {
        Condition c = new ConditionSet(OWN, null, 1L, T0).set("Ready", false, "R".repeat(10_000),
                "m".repeat(100_000)).get("Ready");
        assertTrue(c.getReason().length() <= io.agentvisor.api.v1alpha1.Bounds.REASON);
        assertTrue(c.getMessage().length() <= io.agentvisor.api.v1alpha1.Bounds.MESSAGE);
    }
}
