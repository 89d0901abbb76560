package io.agentvisor.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;

import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.conditions.ConditionSet;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

/** The operator's VM conditions as the reconciler aggregates them: Scheduled from the pod. */
class VmConditionsTest {
    private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");

    private static Pod pod(String node, String scheduled, String reason, String message) {
        return new PodBuilder().withNewMetadata().withName("vm-a").endMetadata().withNewSpec().withNodeName(node)
                .endSpec().withNewStatus().addNewCondition().withType("PodScheduled").withStatus(scheduled)
                .withReason(reason).withMessage(message).endCondition().endStatus().build();
    }

    private static ConditionSet scheduled(Pod pod, List<Condition> stored, Long generation, Instant now) {
        ConditionSet c = new ConditionSet(VirtualMachineReconciler.OWN_CONDITIONS, stored, generation, now);
        VirtualMachineReconciler.scheduled(c, pod);
        return c;
    }

    @Test
    void aBoundPodIsPlacedAndTheSameLaterIsNoWrite() {
        ConditionSet first = scheduled(pod("node-1", "True", null, null), null, 4L, T0);
        Condition placed = first.get(ConditionTypes.SCHEDULED);
        assertEquals(ConditionTypes.REASON_PLACED, placed.getReason());
        assertEquals("pod vm-a is bound to node node-1", placed.getMessage());
        assertEquals(4L, placed.getObservedGeneration());
        assertTrue(first.transitioned(ConditionTypes.SCHEDULED));

        ConditionSet later = scheduled(pod("node-1", "True", null, null), first.list(), 4L, T0.plusSeconds(600));
        assertFalse(later.changed(), "nothing changed: no patch");
        assertFalse(later.transitioned(ConditionTypes.SCHEDULED), "no event either");
        assertEquals("2026-11-26T10:00:00Z", later.get(ConditionTypes.SCHEDULED).getLastTransitionTime());
    }

    @Test
    void anUnschedulablePodCarriesTheSchedulersWordsAndItsOwnTransitionTime() {
        ConditionSet pending = scheduled(pod(null, "False", "Unschedulable", "0/1 nodes are available"), null, 1L, T0);
        ConditionSet placed = scheduled(pod("node-1", "True", null, null), pending.list(), 1L, T0.plusSeconds(30));
        Condition before = pending.get(ConditionTypes.SCHEDULED);
        assertEquals(ConditionTypes.REASON_UNSCHEDULABLE, before.getReason());
        assertEquals("0/1 nodes are available", before.getMessage());
        assertTrue(placed.changed());
        assertEquals("2026-11-26T10:00:30Z", placed.get(ConditionTypes.SCHEDULED).getLastTransitionTime());
    }
}
