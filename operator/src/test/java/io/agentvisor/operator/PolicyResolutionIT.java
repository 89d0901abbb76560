package io.agentvisor.operator;

import static io.agentvisor.operator.Fixtures.agent;
import static io.agentvisor.operator.Fixtures.expression;
import static io.agentvisor.operator.Fixtures.labels;
import static io.agentvisor.operator.ItSupport.awaitPolicy;
import static io.agentvisor.operator.ItSupport.awaitVm;
import static io.agentvisor.operator.ItSupport.client;
import static io.agentvisor.operator.ItSupport.create;
import static io.agentvisor.operator.ItSupport.newNamespace;
import static io.agentvisor.operator.ItSupport.newPolicy;
import static io.agentvisor.operator.ItSupport.newVm;
import static io.agentvisor.operator.ItSupport.source;
import static io.agentvisor.operator.ItSupport.timeout;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.Conditions;
import io.agentvisor.api.v1alpha1.GuestAgentPolicy;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** Policy resolution by the running operator against a real apiserver. */
@QuarkusTest
@QuarkusTestResource(KubeApiServerResource.class)
class PolicyResolutionIT {

    @Test
    void prioritiesTiesMatchExpressionsAndVmOverrides() {
        String ns = newNamespace("resolve");
        create(newPolicy(ns, "everyone", 0, labels(), 30));
        create(newPolicy(ns, "web", 10, labels("app", "web"), "Block"));
        create(newPolicy(ns, "gold-b", 20, expression("tier", "In", "gold", "platinum"), 4));
        create(newPolicy(ns, "gold-a", 20, expression("tier", "In", "gold"), 3));
        create(newVm(ns, "plain", Map.of(), "256Mi"));
        create(newVm(ns, "web-1", Map.of("app", "web"), "256Mi"));
        create(newVm(ns, "gold-1", Map.of("app", "web", "tier", "gold"), "256Mi"));
        create(newVm(ns, "platinum-1", Map.of("tier", "platinum"), "256Mi"));
        VirtualMachine own = newVm(ns, "own", Map.of("app", "web"), "256Mi");
        own.getSpec().setGuestAgent(agent("NoWait"));
        create(own);
        String other = newNamespace("resolve-other");
        create(newVm(other, "lonely", Map.of("app", "web"), "256Mi"));

        VirtualMachine plain = awaitVm(ns, "plain", v -> Objects.equals(timeout(v), 30));
        assertEquals("GuestAgentPolicy/" + ns + "/everyone", source(plain));
        assertEquals(-2, timeout(awaitVm(ns, "web-1", v -> timeout(v) != null)));
        // the resolved settings and the condition are two writes: wait for both
        VirtualMachine gold = awaitVm(ns, "gold-1", v -> Objects.equals(timeout(v), 3)
                && Conditions.find(v.getStatus().getConditions(), ConditionTypes.POLICY_APPLIED) != null);
        assertEquals("GuestAgentPolicy/" + ns + "/gold-a", source(gold));
        Condition applied = Conditions.find(gold.getStatus().getConditions(), ConditionTypes.POLICY_APPLIED);
        assertEquals("True", applied.getStatus());
        assertTrue(applied.getMessage().contains("priority tie between [gold-a, gold-b] broken by name"),
                applied.getMessage());
        assertEquals(4, timeout(awaitVm(ns, "platinum-1", v -> timeout(v) != null)));
        VirtualMachine mine = awaitVm(ns, "own", v -> timeout(v) != null);
        assertEquals(0, timeout(mine));
        assertEquals("VirtualMachine", source(mine));
        assertEquals("GuestAgentPolicy/" + ns + "/web", mine.getStatus().getAgentPolicy().getPolicy());
        VirtualMachine lonely = awaitVm(other, "lonely", v -> timeout(v) != null);
        assertEquals(-1, timeout(lonely));
        assertEquals("Default", source(lonely));

        // the tie is flagged on both policies; counts of governed VMs
        GuestAgentPolicy a = awaitPolicy(ns, "gold-a", p -> conflict(p, "True"));
        assertTrue(Conditions.find(a.getStatus().getConditions(), ConditionTypes.CONFLICT).getMessage()
                .contains("ties with [gold-b] over 1 VirtualMachine (gold-1); broken by name: gold-a wins"));
        awaitPolicy(ns, "gold-b", p -> conflict(p, "True"));
        awaitPolicy(ns, "web", p -> conflict(p, "False") && Objects.equals(p.getStatus().getVirtualMachines(), 2));
        awaitPolicy(ns, "gold-a", p -> Objects.equals(p.getStatus().getVirtualMachines(), 1));
        awaitPolicy(ns, "gold-b", p -> Objects.equals(p.getStatus().getVirtualMachines(), 1));
        awaitPolicy(ns, "everyone", p -> Objects.equals(p.getStatus().getVirtualMachines(), 1));

        // relabelling moves a VM between policies, and ends the tie
        client().resources(VirtualMachine.class).inNamespace(ns).withName("gold-1")
                .edit(v -> {
                    v.getMetadata().getLabels().remove("tier");
                    return v;
                });
        awaitVm(ns, "gold-1", v -> Objects.equals(timeout(v), -2));
        awaitPolicy(ns, "gold-a", p -> conflict(p, "False") && Objects.equals(p.getStatus().getVirtualMachines(), 0));
        awaitPolicy(ns, "web", p -> Objects.equals(p.getStatus().getVirtualMachines(), 3));
    }

    @Test
    void aPolicyEditReachesEveryMatchedVmAndDeletionFallsBack() {
        String ns = newNamespace("fleet");
        create(newPolicy(ns, "fleet", 1, labels("app", "fleet"), 5));
        int n = 25;
        for (int i = 0; i < n; i++) {
            create(newVm(ns, "vm-" + i, Map.of("app", "fleet"), "128Mi"));
        }
        awaitAll(ns, n, 5);
        awaitPolicy(ns, "fleet", p -> p.getStatus() != null && Objects.equals(p.getStatus().getVirtualMachines(), n));

        client().resources(GuestAgentPolicy.class).inNamespace(ns).withName("fleet").edit(p -> {
            p.getSpec().setResponseTimeout(new IntOrString(9));
            return p;
        });
        awaitAll(ns, n, 9);

        client().resources(GuestAgentPolicy.class).inNamespace(ns).withName("fleet").delete();
        awaitAll(ns, n, -1);
        assertEquals("Default", source(ItSupport.vm(ns, "vm-0")));
    }

    @Test
    void invalidSettingsAreConditionsNotCrashes() {
        String ns = newNamespace("invalid");
        GuestAgentPolicy bad = newPolicy(ns, "bad", 50, labels(), 2);
        bad.getSpec().setCommandTimeouts(Map.of("reboot", new IntOrString(1))); // schema cannot check map keys
        create(bad);
        create(newPolicy(ns, "good", 1, labels(), 6));
        VirtualMachine outside = newVm(ns, "outside", Map.of(), "256Mi");
        outside.getSpec().getBoot().setKernel("/etc/passwd");
        create(outside);

        GuestAgentPolicy p = awaitPolicy(ns, "bad", x -> x.getStatus() != null
                && Conditions.find(x.getStatus().getConditions(), ConditionTypes.ACCEPTED) != null);
        Condition accepted = Conditions.find(p.getStatus().getConditions(), ConditionTypes.ACCEPTED);
        assertEquals("False", accepted.getStatus());
        assertEquals("not applied to any VirtualMachine: spec.commandTimeouts.reboot: \"reboot\" is not a qemu-ga "
                + "command name (guest-...)", accepted.getMessage());
        VirtualMachine vm = awaitVm(ns, "outside", v -> Objects.equals(timeout(v), 6)
                && Conditions.find(v.getStatus().getConditions(), ConditionTypes.SPEC_VALID) != null);
        Condition valid = Conditions.find(vm.getStatus().getConditions(), ConditionTypes.SPEC_VALID);
        assertEquals("False", valid.getStatus());
        assertTrue(valid.getMessage().startsWith("spec.boot.kernel: \"/etc/passwd\" is outside the allowed image "
                + "directories"), valid.getMessage());
        assertTrue(ItSupport.conditionIs(vm, ConditionTypes.SCHEDULED, "False", ConditionTypes.REASON_INVALID_SPEC));
        assertEquals(null, ItSupport.nodeName(vm));
    }

    private static boolean conflict(GuestAgentPolicy p, String status) {
        Condition c = p.getStatus() == null ? null
                : Conditions.find(p.getStatus().getConditions(), ConditionTypes.CONFLICT);
        return c != null && status.equals(c.getStatus());
    }

    private static void awaitAll(String ns, int n, int expected) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            names.add("vm-" + i);
        }
        for (String name : names) {
            awaitVm(ns, name, v -> Objects.equals(timeout(v), expected));
        }
    }
}
