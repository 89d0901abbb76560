package io.agentvisor.operator;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Stream;

import jakarta.inject.Singleton;

import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.Conditions;
import io.agentvisor.api.v1alpha1.GuestAgentPolicy;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The operator's own meters, served on the Prometheus endpoint next to QOSDK's reconciliation metrics:
 * <ul>
 * <li>{@code agentvisor_operator_writes_total{kind, target}}: every write of the operator to a VirtualMachine or
 * GuestAgentPolicy ({@code target} {@code status}), and every pod it creates or deletes ({@code kind} Pod,
 * {@code target} {@code create} or {@code delete}). Flat while the cluster is idle.</li>
 * <li>{@code agentvisor_operator_virtualmachines{placement}}: VMs by their {@code Scheduled} condition as last
 * written ({@code Placed}, {@code Unschedulable}, {@code NotRequested}, {@code InvalidSpec}, {@code Pending} when
 * not yet reconciled).</li>
 * <li>{@code agentvisor_operator_guestagentpolicies{conflict}}: policies, by whether they are in a priority tie.</li>
 * </ul>
 * The gauges read the controllers' informer caches when scraped (0 until the controllers started); nothing here
 * calls the API.
 */
@Singleton
public class OperatorMetrics {
    public static final String WRITES = "agentvisor.operator.writes";
    public static final String VMS = "agentvisor.operator.virtualmachines";
    public static final String POLICIES = "agentvisor.operator.guestagentpolicies";
    public static final String PENDING = "Pending";
    static final List<String> PLACEMENTS = List.of(ConditionTypes.REASON_PLACED, ConditionTypes.REASON_UNSCHEDULABLE,
            ConditionTypes.REASON_NOT_REQUESTED, ConditionTypes.REASON_INVALID_SPEC, ConditionTypes.REASON_POD_PENDING,
            PENDING);

    private final Counter vmStatusWrites;
    private final Counter podCreates;
    private final Counter podDeletes;
    private final Counter policyStatusWrites;
    private volatile Supplier<Stream<VirtualMachine>> vms = Stream::empty;
    private volatile Supplier<Stream<GuestAgentPolicy>> policies = Stream::empty;

    public OperatorMetrics(MeterRegistry registry) {
        vmStatusWrites = writes(registry, "VirtualMachine", "status");
        podCreates = writes(registry, "Pod", "create");
        podDeletes = writes(registry, "Pod", "delete");
        policyStatusWrites = writes(registry, "GuestAgentPolicy", "status");
        for (String placement : PLACEMENTS) {
            Gauge.builder(VMS, () -> placements().getOrDefault(placement, 0L))
                    .description("VirtualMachines by placement (reason of their Scheduled condition)")
                    .tag("placement", placement).register(registry);
        }
        for (boolean conflict : new boolean[] { true, false }) {
            Gauge.builder(POLICIES, () -> policies.get().filter(p -> inConflict(p) == conflict).count())
                    .description("GuestAgentPolicies, by whether they tie with another one (Conflict=True)")
                    .tag("conflict", String.valueOf(conflict)).register(registry);
        }
    }

    private static Counter writes(MeterRegistry registry, String kind, String target) {
        return Counter.builder(WRITES).description("Writes of the operator to its resources (0 while idle)")
                .tag("kind", kind).tag("target", target).register(registry);
    }

    /** The VMs to count: the VirtualMachine controller's cache. */
    void observeVirtualMachines(Supplier<Stream<VirtualMachine>> cache) {
        this.vms = cache;
    }

    /** The policies to count: the GuestAgentPolicy controller's cache. */
    void observePolicies(Supplier<Stream<GuestAgentPolicy>> cache) {
        this.policies = cache;
    }

    void vmStatusWritten() {
        vmStatusWrites.increment();
    }

    void podCreated() {
        podCreates.increment();
    }

    void podDeleted() {
        podDeletes.increment();
    }

    void policyStatusWritten() {
        policyStatusWrites.increment();
    }

    Map<String, Long> placements() {
        Map<String, Long> out = new ConcurrentHashMap<>();
        vms.get().forEach(vm -> out.merge(placement(vm), 1L, Long::sum));
        return out;
    }

    static String placement(VirtualMachine vm) {
        Condition c = vm.getStatus() == null ? null
                : Conditions.find(vm.getStatus().getConditions(), ConditionTypes.SCHEDULED);
        return c == null || c.getReason() == null || !PLACEMENTS.contains(c.getReason()) ? PENDING : c.getReason();
    }

    static boolean inConflict(GuestAgentPolicy p) {
        Condition c = p.getStatus() == null ? null
                : Conditions.find(p.getStatus().getConditions(), ConditionTypes.CONFLICT);
        return c != null && Condition.TRUE.equals(c.getStatus());
    }
}
