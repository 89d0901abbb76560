package io.agentvisor.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import org.junit.jupiter.api.Test;

class NodeLeasesTest {
    private static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");

    static Lease lease(String node, Instant renewed, Integer duration, String memory) {
        LeaseBuilder b = new LeaseBuilder().withNewMetadata().withName(NodeLeases.leaseName(node))
                .addToLabels(NodeLeases.LEASE_LABEL, "true").addToLabels(Agentvisor.NODE_LABEL, node)
                .endMetadata().withNewSpec().withHolderIdentity(node).withLeaseDurationSeconds(duration)
                .withRenewTime(renewed == null ? null : renewed.atZone(ZoneOffset.UTC)).endSpec();
        Lease l = b.build();
        if (memory != null) {
            l.getMetadata().setAnnotations(Map.of(NodeLeases.CAPACITY_MEMORY, memory));
        }
        return l;
    }

    @Test
    void freshWhileRenewTimePlusDurationIsAhead() {
        assertTrue(NodeLeases.isFresh(lease("n1", NOW.minusSeconds(39), 40, "1Gi"), NOW));
        assertFalse(NodeLeases.isFresh(lease("n1", NOW.minusSeconds(40), 40, "1Gi"), NOW));
        assertFalse(NodeLeases.isFresh(lease("n1", null, 40, "1Gi"), NOW));
        assertFalse(NodeLeases.isFresh(lease("n1", NOW, null, "1Gi"), NOW));
        assertEquals(Optional.of(NOW.plusSeconds(40)), NodeLeases.expiry(lease("n1", NOW, 40, null)));
    }

    @Test
    void capacityAndIdentity() {
        Lease l = lease("node-a", NOW, 40, "2Gi");
        assertEquals("agentvisor-node-node-a", l.getMetadata().getName());
        assertEquals("node-a", NodeLeases.nodeName(l));
        assertEquals(Optional.of(2L << 30), NodeLeases.memoryCapacityBytes(l));
        assertEquals(Optional.empty(), NodeLeases.memoryCapacityBytes(lease("x", NOW, 40, "lots")));
        assertEquals(Optional.empty(), NodeLeases.memoryCapacityBytes(lease("x", NOW, 40, null)));
        assertEquals("node-a", NodeLeases.nodeLabels(l).get(Agentvisor.NODE_LABEL));
    }
}
