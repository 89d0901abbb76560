package io.agentvisor.operator;

import static io.agentvisor.operator.Fixtures.labels;
import static io.agentvisor.operator.ItSupport.apply;
import static io.agentvisor.operator.ItSupport.awaitPolicy;
import static io.agentvisor.operator.ItSupport.awaitVm;
import static io.agentvisor.operator.ItSupport.client;
import static io.agentvisor.operator.ItSupport.conditionIs;
import static io.agentvisor.operator.ItSupport.create;
import static io.agentvisor.operator.ItSupport.lease;
import static io.agentvisor.operator.ItSupport.newNamespace;
import static io.agentvisor.operator.ItSupport.newPolicy;
import static io.agentvisor.operator.ItSupport.newVm;
import static io.agentvisor.operator.ItSupport.nodeName;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;

import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.GuestAgentPolicy;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** With nothing changing, the operator writes nothing: no VM or policy resourceVersion moves. */
@QuarkusTest
@QuarkusTestResource(KubeApiServerResource.class)
class IdleWritesIT {

    @Test
    void anIdleClusterSeesNoWrites() throws InterruptedException {
        String run = "i" + UUID.randomUUID().toString().substring(0, 6);
        apply(lease(run + "-n", 3600, "1Gi", Map.of("run", run)));
        String ns = newNamespace("idle");
        create(newPolicy(ns, "tie-a", 5, labels(), 7));
        create(newPolicy(ns, "tie-b", 5, labels(), 8));
        for (int i = 0; i < 4; i++) {
            VirtualMachine vm = newVm(ns, "vm-" + i, Map.of(), "256Mi");
            vm.getSpec().setNodeSelector(Map.of("run", run));
            create(vm);
        }
        // does not fit: retried every few seconds, which must not write either
        VirtualMachine unschedulable = newVm(ns, "too-big", Map.of(), "4Gi");
        unschedulable.getSpec().setNodeSelector(Map.of("run", run));
        create(unschedulable);

        for (int i = 0; i < 4; i++) {
            awaitVm(ns, "vm-" + i, v -> (run + "-n").equals(nodeName(v)) && Objects.equals(ItSupport.timeout(v), 7));
        }
        awaitVm(ns, "too-big", v -> conditionIs(v, ConditionTypes.SCHEDULED, "False",
                ConditionTypes.REASON_UNSCHEDULABLE) && ItSupport.timeout(v) != null);
        awaitPolicy(ns, "tie-a", p -> p.getStatus() != null && Objects.equals(p.getStatus().getVirtualMachines(), 5));
        awaitPolicy(ns, "tie-b", p -> p.getStatus() != null && p.getStatus().getConditions() != null);
        Thread.sleep(3000); // let in-flight reconciles finish

        Map<String, String> before = versions(ns);
        Thread.sleep(20_000); // several placement retries and informer resyncs' worth of quiet
        assertEquals(before, versions(ns), "objects were written while nothing changed");
    }

    private static Map<String, String> versions(String ns) {
        Map<String, String> out = new TreeMap<>();
        client().resources(VirtualMachine.class).inNamespace(ns).list().getItems()
                .forEach(v -> out.put("vm/" + v.getMetadata().getName(), v.getMetadata().getResourceVersion()));
        client().resources(GuestAgentPolicy.class).inNamespace(ns).list().getItems()
                .forEach(p -> out.put("gap/" + p.getMetadata().getName(), p.getMetadata().getResourceVersion()));
        return out;
    }
}
