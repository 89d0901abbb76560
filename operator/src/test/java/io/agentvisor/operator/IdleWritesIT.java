package io.agentvisor.operator;

import static io.agentvisor.operator.Fixtures.labels;
import static io.agentvisor.operator.ItSupport.awaitPolicy;
import static io.agentvisor.operator.ItSupport.awaitVm;
import static io.agentvisor.operator.ItSupport.client;
import static io.agentvisor.operator.ItSupport.conditionIs;
import static io.agentvisor.operator.ItSupport.create;
import static io.agentvisor.operator.ItSupport.newNamespace;
import static io.agentvisor.operator.ItSupport.newPolicy;
import static io.agentvisor.operator.ItSupport.newVm;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

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
        String ns = newNamespace("idle");
        create(newPolicy(ns, "tie-a", 5, labels(), 7));
        create(newPolicy(ns, "tie-b", 5, labels(), 8));
        for (int i = 0; i < 4; i++) {
            create(newVm(ns, "vm-" + i, Map.of(), "256Mi"));
        }
        // should not run: no pod, and nothing to retry
        VirtualMachine halted = newVm(ns, "halted", Map.of(), "4Gi");
        halted.getSpec().setRunStrategy(io.agentvisor.api.v1alpha1.RunStrategy.Halted);
        create(halted);

        for (int i = 0; i < 4; i++) {
            // a pod each, waiting for a scheduler (the test control plane has none)
            awaitVm(ns, "vm-" + i, v -> v.getStatus().getPodName() != null && Objects.equals(ItSupport.timeout(v), 7)
                    && conditionIs(v, ConditionTypes.SCHEDULED, "False", ConditionTypes.REASON_POD_PENDING));
        }
        awaitVm(ns, "halted", v -> conditionIs(v, ConditionTypes.SCHEDULED, "False",
                ConditionTypes.REASON_NOT_REQUESTED) && ItSupport.timeout(v) != null);
        awaitPolicy(ns, "tie-a", p -> p.getStatus() != null && Objects.equals(p.getStatus().getVirtualMachines(), 5));
        awaitPolicy(ns, "tie-b", p -> p.getStatus() != null && p.getStatus().getConditions() != null);
        Thread.sleep(3000); // let in-flight reconciles finish

        Map<String, String> before = versions(ns);
        Thread.sleep(20_000); // informer resyncs' worth of quiet
        assertEquals(before, versions(ns), "objects were written while nothing changed");
    }

    private static Map<String, String> versions(String ns) {
        Map<String, String> out = new TreeMap<>();
        client().resources(VirtualMachine.class).inNamespace(ns).list().getItems()
                .forEach(v -> out.put("vm/" + v.getMetadata().getName(), v.getMetadata().getResourceVersion()));
        client().resources(GuestAgentPolicy.class).inNamespace(ns).list().getItems()
                .forEach(p -> out.put("gap/" + p.getMetadata().getName(), p.getMetadata().getResourceVersion()));
        client().pods().inNamespace(ns).list().getItems()
                .forEach(p -> out.put("pod/" + p.getMetadata().getName(), p.getMetadata().getResourceVersion()));
        return out;
    }
}
