package io.agentvisor.operator;

import static io.agentvisor.operator.Fixtures.placed;
import static io.agentvisor.operator.Fixtures.vm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.agentvisor.api.v1alpha1.VirtualMachine;
import org.junit.jupiter.api.Test;

class PlacementTest {
    private static final long GI = 1L << 30;

    static Placement.Node node(String name, long memory, boolean fresh, Map<String, String> labels) {
        return new Placement.Node(name, labels, Optional.of(memory), fresh);
    }

    @Test
    void picksTheFreshMatchingNodeWithMostMemoryLeft() {
        VirtualMachine vm = vm("ns", "v", Map.of(), "512Mi");
        List<Placement.Node> nodes = List.of(node("a", 2 * GI, true, Map.of()), node("b", 4 * GI, true, Map.of()),
                node("c", 8 * GI, false, Map.of()));
        assertEquals("b", Placement.place(vm, nodes, Map.of()).node());
        assertEquals("a", Placement.place(vm, nodes, Map.of("b", 3 * GI)).node());
        // equal room: smallest name
        assertEquals("a", Placement.place(vm, nodes, Map.of("b", 2 * GI)).node());
    }

    @Test
    void nodeSelectorMustMatchLeaseLabels() {
        VirtualMachine vm = vm("ns", "v", Map.of(), "512Mi");
        vm.getSpec().setNodeSelector(Map.of("disk", "ssd"));
        List<Placement.Node> nodes = List.of(node("a", 8 * GI, true, Map.of()),
                node("b", 1 * GI, true, Map.of("disk", "ssd")));
        assertEquals("b", Placement.place(vm, nodes, Map.of()).node());
    }

    @Test
    void unschedulableSaysWhyForEachNode() {
        VirtualMachine vm = vm("ns", "v", Map.of(), "1Gi");
        vm.getSpec().setNodeSelector(Map.of("zone", "x"));
        List<Placement.Node> nodes = List.of(node("a", 8 * GI, false, Map.of("zone", "x")),
                node("b", 2 * GI, true, Map.of("zone", "x")), node("c", 8 * GI, true, Map.of()),
                new Placement.Node("d", Map.of("zone", "x"), Optional.empty(), true));
        Placement.Decision d = Placement.place(vm, nodes, Map.of("b", GI + GI / 2));
        assertFalse(d.placed());
        assertEquals("no node fits: a: Lease expired; b: needs 1Gi, 512Mi free of 2Gi; c: nodeSelector {zone=x} not "
                + "matched; d: Lease has no valid agentvisor.io/capacity-memory annotation", d.message());
        assertNull(Placement.place(vm, List.of(), Map.of()).node());
    }

    @Test
    void usedMemoryCountsPlacedVmsExceptTheOneBeingPlaced() {
        List<VirtualMachine> vms = List.of(placed(vm("ns", "x", Map.of(), "1Gi"), "a"),
                placed(vm("ns", "y", Map.of(), "512Mi"), "a"), vm("ns", "z", Map.of(), "4Gi"),
                placed(vm("ns", "w", Map.of(), "256Mi"), "b"));
        assertEquals(Map.of("a", GI + GI / 2, "b", GI / 4), Placement.usedMemory(vms, null));
        assertEquals(Map.of("a", GI / 2, "b", GI / 4), Placement.usedMemory(vms, "uid-ns-x"));
    }

    @Test
    void ledgerKeepsBackToBackDecisionsFromOvercommitting() {
        PlacementLedger ledger = new PlacementLedger();
        List<Placement.Node> nodes = List.of(node("a", GI, true, Map.of()));
        VirtualMachine first = vm("ns", "first", Map.of(), "768Mi");
        VirtualMachine second = vm("ns", "second", Map.of(), "768Mi");
        List<VirtualMachine> cache = List.of(first, second); // the cache has not seen any placement yet
        assertEquals("a", ledger.decide(first, nodes, cache).node());
        assertFalse(ledger.decide(second, nodes, cache).placed());
        // once the cache shows the write, the reservation is dropped and counted from the cache instead
        List<VirtualMachine> later = List.of(placed(vm("ns", "first", Map.of(), "768Mi"), "a"), second);
        assertFalse(ledger.decide(second, nodes, later).placed());
        assertEquals(List.of(), ledger.pendingUids());
        // first deleted: memory is free again
        assertEquals("a", ledger.decide(second, nodes, List.of(second)).node());
    }
}
