package io.agentvisor.operator;

import static io.agentvisor.operator.ItSupport.awaitVm;
import static io.agentvisor.operator.ItSupport.client;
import static io.agentvisor.operator.ItSupport.create;
import static io.agentvisor.operator.ItSupport.newNamespace;
import static io.agentvisor.operator.ItSupport.newPolicy;
import static io.agentvisor.operator.ItSupport.newVm;
import static io.agentvisor.operator.ItSupport.timeout;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.agentvisor.api.v1alpha1.Agentvisor;
import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.Conditions;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.conditions.ConditionSet;
import io.agentvisor.conditions.OwnConditions;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The operator and the driver write one status: each must keep the other's condition entries. On a 1.20
 * apiserver server-side apply treats the list as atomic for our CRDs (they have int-or-string fields), which once
 * made the two writers delete each other's conditions every few seconds. The driver's writes are done here the
 * way agent-driver's KubeOps does them.
 */
@QuarkusTest
@QuarkusTestResource(KubeApiServerResource.class)
class TwoWritersIT {
    private static final List<String> DRIVER = List.of(ConditionTypes.RUNNING, ConditionTypes.READY);

    @Test
    void operatorAndDriverConditionsSurviveEachOthersWrites() throws InterruptedException {
        String ns = newNamespace("writers");
        create(newPolicy(ns, "p", 1, new LabelSelectorBuilder().build(), 3));
        create(newVm(ns, "vm", Map.of(), "256Mi"));
        awaitVm(ns, "vm", v -> v.getStatus().getPodName() != null && Integer.valueOf(3).equals(timeout(v)));

        driverWritesConditions(ns, "vm", true);
        // the operator rewrites its own fields and conditions when another policy wins ...
        create(newPolicy(ns, "q", 5, new LabelSelectorBuilder().build(), 7));
        VirtualMachine after = awaitVm(ns, "vm", v -> Integer.valueOf(7).equals(timeout(v))
                && Conditions.find(v.getStatus().getConditions(), ConditionTypes.POLICY_APPLIED).getMessage()
                        .contains("/q"));
        // ... and the driver's entries are still there
        assertEquals("True", Conditions.find(after.getStatus().getConditions(), ConditionTypes.READY).getStatus());
        assertNotNull(Conditions.find(after.getStatus().getConditions(), ConditionTypes.RUNNING));

        // the driver writes again: the operator's entries stay, and nobody writes back (no fight)
        driverWritesConditions(ns, "vm", false);
        Thread.sleep(8_000);
        VirtualMachine settled = ItSupport.vm(ns, "vm");
        List<Condition> c = settled.getStatus().getConditions();
        assertEquals("False", Conditions.find(c, ConditionTypes.READY).getStatus());
        for (String own : VirtualMachineReconciler.OWN_CONDITIONS) {
            if (!own.equals(ConditionTypes.RESTART_REQUIRED)) { // present only while the pod is outdated
                assertNotNull(Conditions.find(c, own), own + " lost: " + c);
            }
        }
        String rv = settled.getMetadata().getResourceVersion();
        Thread.sleep(8_000);
        assertEquals(rv, ItSupport.vm(ns, "vm").getMetadata().getResourceVersion(), "status writes while idle");
    }

    private static void driverWritesConditions(String ns, String name, boolean ready) {
        VirtualMachine current = ItSupport.vm(ns, name);
        ConditionSet own = new ConditionSet(DRIVER, current.getStatus().getConditions(), 1L, Instant.now())
                .set(ConditionTypes.RUNNING, true, "Running", "QEMU pid 1")
                .set(ConditionTypes.READY, ready, ready ? "Ready" : "AgentUnresponsive", "m");
        String patch = OwnConditions.patch(current, own.types(), own.list()).orElseThrow();
        client().resources(VirtualMachine.class).inNamespace(ns).withName(name).subresource("status")
                .patch(new PatchContext.Builder().withPatchType(PatchType.JSON)
                        .withFieldManager(Agentvisor.DRIVER_FIELD_MANAGER).build(), patch);
    }
}
