package io.agentvisor.operator;

import static io.agentvisor.operator.ItSupport.apply;
import static io.agentvisor.operator.ItSupport.awaitVm;
import static io.agentvisor.operator.ItSupport.client;
import static io.agentvisor.operator.ItSupport.conditionIs;
import static io.agentvisor.operator.ItSupport.create;
import static io.agentvisor.operator.ItSupport.lease;
import static io.agentvisor.operator.ItSupport.newNamespace;
import static io.agentvisor.operator.ItSupport.newVm;
import static io.agentvisor.operator.ItSupport.nodeLabel;
import static io.agentvisor.operator.ItSupport.nodeName;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.ZonedDateTime;
import java.util.Map;
import java.util.UUID;

import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.Conditions;
import io.agentvisor.api.v1alpha1.NodeLeases;
import io.agentvisor.api.v1alpha1.RunStrategy;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/**
 * Placement over node Leases the test writes the way the agent-driver will (see {@link NodeLeases}). Each test
 * labels its Leases with its own run id and pins its VMs to it with nodeSelector, so tests cannot disturb each other.
 */
@QuarkusTest
@QuarkusTestResource(KubeApiServerResource.class)
class PlacementIT {

    @Test
    void placesByNodeSelectorAndMemoryThenRecoversWhenANodeGrows() {
        String run = "p" + UUID.randomUUID().toString().substring(0, 6);
        String a = run + "-a";
        String b = run + "-b";
        apply(lease(a, 3600, "1Gi", Map.of("run", run, "disk", "ssd")));
        apply(lease(b, 3600, "2Gi", Map.of("run", run, "disk", "hdd")));
        String ns = newNamespace("place");

        create(pinned(newVm(ns, "ssd-vm", Map.of(), "512Mi"), Map.of("run", run, "disk", "ssd")));
        VirtualMachine ssd = awaitVm(ns, "ssd-vm", v -> a.equals(nodeName(v)) && a.equals(nodeLabel(v)));
        assertTrue(conditionIs(ssd, ConditionTypes.SCHEDULED, "True", ConditionTypes.REASON_PLACED));
        assertTrue(conditionIs(ssd, ConditionTypes.NODE_LOST, "False", null));

        // only b has 1.5Gi left
        create(pinned(newVm(ns, "big", Map.of(), "1536Mi"), Map.of("run", run)));
        awaitVm(ns, "big", v -> b.equals(nodeName(v)) && b.equals(nodeLabel(v)));

        // 512Mi left on each: a 1Gi VM fits nowhere
        create(pinned(newVm(ns, "huge", Map.of(), "1Gi"), Map.of("run", run)));
        VirtualMachine huge = awaitVm(ns, "huge", v -> conditionIs(v, ConditionTypes.SCHEDULED, "False",
                ConditionTypes.REASON_UNSCHEDULABLE));
        String why = Conditions.find(huge.getStatus().getConditions(), ConditionTypes.SCHEDULED).getMessage();
        assertTrue(why.contains(a + ": needs 1Gi, 512Mi free of 1Gi"), why);
        assertTrue(why.contains(b + ": needs 1Gi, 512Mi free of 2Gi"), why);
        assertEquals(null, nodeName(huge));
        assertEquals(null, nodeLabel(huge));

        // the node announces more memory: retried on the Lease change
        apply(lease(a, 3600, "4Gi", Map.of("run", run, "disk", "ssd")));
        VirtualMachine placed = awaitVm(ns, "huge", v -> a.equals(nodeName(v)) && a.equals(nodeLabel(v)));
        assertTrue(conditionIs(placed, ConditionTypes.SCHEDULED, "True", ConditionTypes.REASON_PLACED));
        // nobody moved
        assertEquals(a, nodeName(ItSupport.vm(ns, "ssd-vm")));
        assertEquals(b, nodeName(ItSupport.vm(ns, "big")));
    }

    @Test
    void expiredLeaseMarksItsVmsNodeLostWithoutMovingThem() {
        String run = "l" + UUID.randomUUID().toString().substring(0, 6);
        String n = run + "-n";
        apply(lease(n, 6, "1Gi", Map.of("run", run)));
        apply(lease(run + "-spare", 3600, "8Gi", Map.of("run", run, "spare", "yes")));
        String ns = newNamespace("lost");
        create(pinned(newVm(ns, "vm", Map.of(), "256Mi"), Map.of("run", run, NodeLeasesLabel.NODE, n)));
        awaitVm(ns, "vm", v -> n.equals(nodeName(v)));

        // the driver stops renewing: NodeLost, and the VM stays where its QEMU may still run
        VirtualMachine lost = awaitVm(ns, "vm", v -> conditionIs(v, ConditionTypes.NODE_LOST, "True",
                ConditionTypes.REASON_LEASE_EXPIRED));
        assertEquals(n, nodeName(lost));
        assertEquals(n, nodeLabel(lost));

        // renewed: recovered
        Lease renewed = lease(n, 3600, "1Gi", Map.of("run", run));
        renewed.getSpec().setRenewTime(ZonedDateTime.now());
        apply(renewed);
        VirtualMachine back = awaitVm(ns, "vm", v -> conditionIs(v, ConditionTypes.NODE_LOST, "False",
                ConditionTypes.REASON_LEASE_FRESH));
        assertEquals(n, nodeName(back));
    }

    @Test
    void haltedVmsAreNotPlaced() {
        String run = "h" + UUID.randomUUID().toString().substring(0, 6);
        apply(lease(run + "-n", 3600, "1Gi", Map.of("run", run)));
        String ns = newNamespace("halted");
        VirtualMachine vm = pinned(newVm(ns, "off", Map.of(), "256Mi"), Map.of("run", run));
        vm.getSpec().setRunStrategy(RunStrategy.Halted);
        create(vm);
        VirtualMachine off = awaitVm(ns, "off", v -> conditionIs(v, ConditionTypes.SCHEDULED, "False",
                ConditionTypes.REASON_NOT_REQUESTED));
        assertEquals(null, nodeName(off));
        client().resources(VirtualMachine.class).inNamespace(ns).withName("off").edit(v -> {
            v.getSpec().setRunStrategy(RunStrategy.Always);
            return v;
        });
        awaitVm(ns, "off", v -> (run + "-n").equals(nodeName(v)) && (run + "-n").equals(nodeLabel(v)));

        // halted again, and no driver holds it (no finalizer, no phase): the node's memory is given back
        client().resources(VirtualMachine.class).inNamespace(ns).withName("off").edit(v -> {
            v.getSpec().setRunStrategy(RunStrategy.Halted);
            return v;
        });
        VirtualMachine released = awaitVm(ns, "off", v -> nodeName(v) == null && nodeLabel(v) == null);
        assertTrue(conditionIs(released, ConditionTypes.SCHEDULED, "False", ConditionTypes.REASON_NOT_REQUESTED));
        assertEquals(null, Conditions.find(released.getStatus().getConditions(), ConditionTypes.NODE_LOST));
    }

    private static VirtualMachine pinned(VirtualMachine vm, Map<String, String> selector) {
        vm.getSpec().setNodeSelector(selector);
        return vm;
    }

    /** Every Lease carries agentvisor.io/node=<node>, so a nodeSelector can pin a VM to one node. */
    private static final class NodeLeasesLabel {
        static final String NODE = io.agentvisor.api.v1alpha1.Agentvisor.NODE_LABEL;
    }
}
