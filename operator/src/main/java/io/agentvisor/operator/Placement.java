package io.agentvisor.operator;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import io.agentvisor.api.v1alpha1.NodeLeases;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;

/**
 * Placement as a plain function: a VM that should run goes to a node whose Lease is fresh, whose labels match the
 * VM's nodeSelector and which has enough memory left (capacity minus the memory of the VMs already placed there).
 * Among fitting nodes the one with the most memory left wins, then the smallest name: deterministic, spreads load.
 */
public final class Placement {

    private Placement() {
    }

    /** A node as announced by its Lease, evaluated at one instant. */
    public record Node(String name, Map<String, String> labels, Optional<Long> memoryBytes, boolean fresh) {
        public static Node of(Lease lease, Instant now) {
            return new Node(NodeLeases.nodeName(lease), NodeLeases.nodeLabels(lease),
                    NodeLeases.memoryCapacityBytes(lease), NodeLeases.isFresh(lease, now));
        }
    }

    /** The node chosen, or why none fits (one line, deterministic so that retries do not rewrite status). */
    public record Decision(String node, String message) {
        public boolean placed() {
            return node != null;
        }
    }

    public static long memoryBytes(VirtualMachine vm) {
        if (vm.getSpec() == null || vm.getSpec().getMemory() == null) {
            return 0;
        }
        try {
            return Quantity.getAmountInBytes(vm.getSpec().getMemory()).setScale(0, java.math.RoundingMode.CEILING)
                    .longValueExact();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** Memory in use per node: the sum over the VMs placed there ({@code status.nodeName}), except {@code except}. */
    public static Map<String, Long> usedMemory(Collection<VirtualMachine> vms, String exceptUid) {
        Map<String, Long> used = new TreeMap<>();
        for (VirtualMachine vm : vms) {
            if (vm.getStatus() == null || vm.getStatus().getNodeName() == null
                    || vm.getMetadata().getUid() != null && vm.getMetadata().getUid().equals(exceptUid)) {
                continue;
            }
            used.merge(vm.getStatus().getNodeName(), memoryBytes(vm), Long::sum);
        }
        return used;
    }

    public static Decision place(VirtualMachine vm, Collection<Node> nodes, Map<String, Long> usedMemory) {
        long need = memoryBytes(vm);
        Map<String, String> selector = vm.getSpec() == null ? null : vm.getSpec().getNodeSelector();
        List<Node> sorted = new ArrayList<>(nodes);
        sorted.sort(Comparator.comparing(Node::name));
        Node best = null;
        long bestFree = -1;
        List<String> reasons = new ArrayList<>();
        for (Node n : sorted) {
            if (!n.fresh()) {
                reasons.add(n.name() + ": Lease expired");
                continue;
            }
            if (!LabelSelectors.matchesNodeSelector(selector, n.labels())) {
                reasons.add(n.name() + ": nodeSelector " + describe(selector) + " not matched");
                continue;
            }
            if (n.memoryBytes().isEmpty()) {
                reasons.add(n.name() + ": Lease has no valid " + NodeLeases.CAPACITY_MEMORY + " annotation");
                continue;
            }
            long free = n.memoryBytes().get() - usedMemory.getOrDefault(n.name(), 0L);
            if (free < need) {
                reasons.add(n.name() + ": needs " + bytes(need) + ", " + bytes(Math.max(0, free)) + " free of "
                        + bytes(n.memoryBytes().get()));
                continue;
            }
            if (free > bestFree) {
                best = n;
                bestFree = free;
            }
        }
        if (best != null) {
            return new Decision(best.name(), "placed on node " + best.name());
        }
        if (nodes.isEmpty()) {
            return new Decision(null, "no node has announced itself (no " + NodeLeases.NAME_PREFIX + "<node> Lease)");
        }
        return new Decision(null, "no node fits: " + String.join("; ", reasons));
    }

    private static String describe(Map<String, String> selector) {
        return new TreeMap<>(selector).toString();
    }

    /** Bytes in the largest binary unit that divides them, e.g. 256Mi. */
    static String bytes(long b) {
        String[] units = { "Ei", "Pi", "Ti", "Gi", "Mi", "Ki" };
        int[] shifts = { 60, 50, 40, 30, 20, 10 };
        for (int i = 0; i < units.length; i++) {
            long u = 1L << shifts[i];
            if (b != 0 && b % u == 0) {
                return (b / u) + units[i];
            }
        }
        return BigDecimal.valueOf(b).toPlainString();
    }
}
