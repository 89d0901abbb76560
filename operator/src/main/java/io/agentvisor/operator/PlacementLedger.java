package io.agentvisor.operator;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import io.agentvisor.api.v1alpha1.VirtualMachine;

/**
 * Serialises placement decisions and remembers the ones whose status write the informer cache has not shown yet,
 * so that two VMs reconciled back to back never both take the last free memory of a node.
 */
@ApplicationScoped
public class PlacementLedger {

    private record Pending(String node, long memoryBytes) {
    }

    private final Map<String, Pending> pending = new HashMap<>();

    /**
     * Decides under the ledger's lock and reserves the chosen node for {@code vm} until {@link #confirm} or
     * {@link #release}.
     */
    public synchronized Placement.Decision decide(VirtualMachine vm, Collection<Placement.Node> nodes,
            Collection<VirtualMachine> allVms) {
        Set<String> seen = new HashSet<>();
        Map<String, Long> used = Placement.usedMemory(allVms, vm.getMetadata().getUid());
        for (VirtualMachine other : allVms) {
            String uid = other.getMetadata().getUid();
            seen.add(uid);
            Pending p = pending.get(uid);
            if (p != null && other.getStatus() != null && p.node().equals(other.getStatus().getNodeName())) {
                pending.remove(uid); // the cache shows the write: counted by usedMemory
            }
        }
        pending.keySet().retainAll(seen); // deleted VMs
        pending.forEach((uid, p) -> {
            if (!uid.equals(vm.getMetadata().getUid())) {
                used.merge(p.node(), p.memoryBytes(), Long::sum);
            }
        });
        Placement.Decision d = Placement.place(vm, nodes, used);
        if (d.placed()) {
            pending.put(vm.getMetadata().getUid(), new Pending(d.node(), Placement.memoryBytes(vm)));
        }
        return d;
    }

    /** The write failed: forget the reservation. */
    public synchronized void release(VirtualMachine vm) {
        pending.remove(vm.getMetadata().getUid());
    }

    synchronized List<String> pendingUids() {
        return List.copyOf(pending.keySet());
    }
}
