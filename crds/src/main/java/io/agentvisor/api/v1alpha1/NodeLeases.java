package io.agentvisor.api.v1alpha1;

import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;

/**
 * The contract between the agent-driver (writer) and the operator (reader) for announcing a node.
 * <p>
 * Each agent-driver keeps one {@code coordination.k8s.io/v1} Lease in the operator's namespace:
 * <ul>
 * <li>name {@code agentvisor-node-<node>} ({@link #leaseName});</li>
 * <li>label {@link #LEASE_LABEL}{@code =true} (the operator watches only such Leases) and
 * {@link Agentvisor#NODE_LABEL}{@code =<node>};</li>
 * <li>every label of the Lease is a node label for {@code spec.nodeSelector} of VMs (so a driver publishes its
 * node's labels, e.g. {@code kubernetes.io/arch=amd64}, as Lease labels);</li>
 * <li>annotation {@link #CAPACITY_MEMORY} with the memory VMs may use on the node, a quantity (e.g. {@code 16Gi});
 * a Lease without it is not a placement candidate; {@link #CAPACITY_CPU} is informational;</li>
 * <li>{@code spec.holderIdentity} = node name, {@code spec.leaseDurationSeconds} (default
 * {@value #DEFAULT_LEASE_DURATION_SECONDS}), {@code spec.renewTime} renewed every
 * {@value #DEFAULT_RENEW_INTERVAL_SECONDS} s.</li>
 * </ul>
 * A Lease is fresh while {@code renewTime + leaseDurationSeconds} is in the future. The operator places new VMs
 * only on fresh nodes and marks the VMs of a node whose Lease expired (or was deleted) with {@code NodeLost=True};
 * it never moves them.
 */
public final class NodeLeases {
    public static final String NAME_PREFIX = "agentvisor-node-";
    public static final String LEASE_LABEL = "agentvisor.io/node-lease";
    public static final String CAPACITY_MEMORY = "agentvisor.io/capacity-memory";
    public static final String CAPACITY_CPU = "agentvisor.io/capacity-cpu";
    public static final int DEFAULT_LEASE_DURATION_SECONDS = 40;
    public static final int DEFAULT_RENEW_INTERVAL_SECONDS = 10;

    private NodeLeases() {
    }

    public static String leaseName(String node) {
        return NAME_PREFIX + node;
    }

    /** The node a Lease announces: spec.holderIdentity, else the name without the prefix. */
    public static String nodeName(Lease lease) {
        if (lease.getSpec() != null && lease.getSpec().getHolderIdentity() != null
                && !lease.getSpec().getHolderIdentity().isEmpty()) {
            return lease.getSpec().getHolderIdentity();
        }
        String name = lease.getMetadata().getName();
        return name.startsWith(NAME_PREFIX) ? name.substring(NAME_PREFIX.length()) : name;
    }

    /** When the Lease stops being fresh; empty when it carries no renew/acquire time or duration. */
    public static Optional<Instant> expiry(Lease lease) {
        if (lease.getSpec() == null || lease.getSpec().getLeaseDurationSeconds() == null) {
            return Optional.empty();
        }
        ZonedDateTime t = lease.getSpec().getRenewTime() != null ? lease.getSpec().getRenewTime()
                : lease.getSpec().getAcquireTime();
        if (t == null) {
            return Optional.empty();
        }
        return Optional.of(t.toInstant().plusSeconds(lease.getSpec().getLeaseDurationSeconds()));
    }

    public static boolean isFresh(Lease lease, Instant now) {
        return expiry(lease).map(now::isBefore).orElse(false);
    }

    /** The node labels the Lease publishes (all its labels). */
    public static Map<String, String> nodeLabels(Lease lease) {
        Map<String, String> labels = lease.getMetadata().getLabels();
        return labels == null ? Map.of() : labels;
    }

    /** Memory capacity in bytes from {@link #CAPACITY_MEMORY}; empty when missing or not a quantity. */
    public static Optional<Long> memoryCapacityBytes(Lease lease) {
        Map<String, String> annotations = lease.getMetadata().getAnnotations();
        String v = annotations == null ? null : annotations.get(CAPACITY_MEMORY);
        if (v == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Quantity.getAmountInBytes(new Quantity(v)).longValueExact());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
