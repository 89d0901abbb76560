package io.agentvisor.operator;

import static io.agentvisor.operator.Fixtures.labels;
import static io.agentvisor.operator.Fixtures.policy;
import static io.agentvisor.operator.Fixtures.vm;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.GuestAgentPolicy;
import io.agentvisor.api.v1alpha1.GuestAgentPolicyStatus;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.agentvisor.conditions.ConditionSet;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class OperatorMetricsTest {
    static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void writesAreCountedByKindAndTarget() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        OperatorMetrics m = new OperatorMetrics(registry);
        assertEquals(0, writes(registry, "VirtualMachine", "status"), "registered before the first write");
        m.vmStatusWritten();
        m.vmStatusWritten();
        m.podCreated();
        m.podDeleted();
        m.policyStatusWritten();
        assertEquals(2, writes(registry, "VirtualMachine", "status"));
        assertEquals(1, writes(registry, "Pod", "create"));
        assertEquals(1, writes(registry, "Pod", "delete"));
        assertEquals(1, writes(registry, "GuestAgentPolicy", "status"));
    }

    @Test
    void gaugesCountTheCachedObjectsByTheirConditions() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        OperatorMetrics m = new OperatorMetrics(registry);
        assertEquals(0, placement(registry, "Placed"), "nothing observed yet");

        List<VirtualMachine> vms = new ArrayList<>();
        vms.add(withConditions(vm("ns", "a", Map.of(), "1Gi"),
                condition(ConditionTypes.SCHEDULED, true, ConditionTypes.REASON_PLACED)));
        vms.add(withConditions(vm("ns", "b", Map.of(), "1Gi"),
                condition(ConditionTypes.SCHEDULED, true, ConditionTypes.REASON_PLACED)));
        vms.add(withConditions(vm("ns", "c", Map.of(), "1Gi"), condition(ConditionTypes.SCHEDULED, false,
                ConditionTypes.REASON_UNSCHEDULABLE)));
        vms.add(withConditions(vm("ns", "d", Map.of(), "1Gi"), condition(ConditionTypes.SCHEDULED, false,
                ConditionTypes.REASON_NOT_REQUESTED)));
        vms.add(vm("ns", "new", Map.of(), "1Gi"));
        m.observeVirtualMachines(vms::stream);

        GuestAgentPolicy tie = policy("ns", "tie", 1, labels(), 3);
        GuestAgentPolicyStatus s = new GuestAgentPolicyStatus();
        s.setConditions(List.of(condition(ConditionTypes.CONFLICT, true, ConditionTypes.REASON_PRIORITY_TIE)));
        tie.setStatus(s);
        List<GuestAgentPolicy> policies = List.of(tie, policy("ns", "plain", 1, labels(), 3));
        m.observePolicies(policies::stream);

        assertEquals(2, placement(registry, "Placed"));
        assertEquals(1, placement(registry, "Unschedulable"));
        assertEquals(1, placement(registry, "NotRequested"));
        assertEquals(0, placement(registry, "InvalidSpec"));
        assertEquals(1, placement(registry, "Pending"));
        assertEquals(1, registry.get(OperatorMetrics.POLICIES).tag("conflict", "true").gauge().value());
        assertEquals(1, registry.get(OperatorMetrics.POLICIES).tag("conflict", "false").gauge().value());

        // read when scraped: a VM that goes away is no longer counted
        vms.remove(2);
        assertEquals(0, placement(registry, "Unschedulable"));
    }

    private static Condition condition(String type, boolean status, String reason) {
        return new ConditionSet(List.of(type), null, 1L, T).set(type, status, reason, "").get(type);
    }

    private static VirtualMachine withConditions(VirtualMachine vm, Condition... conditions) {
        VirtualMachineStatus s = new VirtualMachineStatus();
        s.setConditions(List.of(conditions));
        vm.setStatus(s);
        return vm;
    }

    private static double writes(SimpleMeterRegistry r, String kind, String target) {
        return r.get(OperatorMetrics.WRITES).tag("kind", kind).tag("target", target).counter().count();
    }

    private static double placement(SimpleMeterRegistry r, String placement) {
        return r.get(OperatorMetrics.VMS).tag("placement", placement).gauge().value();
    }
}
