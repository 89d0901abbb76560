package io.agentvisor.operator;

import java.util.List;
import java.util.Map;

import io.agentvisor.api.v1alpha1.Boot;
import io.agentvisor.api.v1alpha1.GuestAgentPolicy;
import io.agentvisor.api.v1alpha1.GuestAgentPolicySpec;
import io.agentvisor.api.v1alpha1.GuestAgentSettings;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineSpec;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Quantity;

/** API objects for unit tests. */
final class Fixtures {
    private Fixtures() {
    }

    static VirtualMachine vm(String ns, String name, Map<String, String> labels, String memory) {
        VirtualMachine vm = new VirtualMachine();
        vm.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(name).withUid("uid-" + ns + "-" + name)
                .withLabels(labels).withGeneration(1L).build());
        VirtualMachineSpec spec = new VirtualMachineSpec();
        spec.setMemory(new Quantity(memory));
        Boot boot = new Boot();
        boot.setKernel("/var/lib/agentvisor/images/vmlinuz");
        spec.setBoot(boot);
        vm.setSpec(spec);
        return vm;
    }

    static GuestAgentSettings agent(Object timeout) {
        GuestAgentSettings g = new GuestAgentSettings();
        g.setResponseTimeout(timeout instanceof Integer i ? new IntOrString(i) : new IntOrString((String) timeout));
        return g;
    }

    static GuestAgentPolicy policy(String ns, String name, int priority, LabelSelector selector, Object timeout) {
        GuestAgentPolicy p = new GuestAgentPolicy();
        p.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(name).withGeneration(1L).build());
        GuestAgentPolicySpec spec = new GuestAgentPolicySpec();
        spec.setPriority(priority);
        spec.setSelector(selector);
        if (timeout != null) {
            spec.setResponseTimeout(timeout instanceof Integer i ? new IntOrString(i)
                    : new IntOrString((String) timeout));
        }
        p.setSpec(spec);
        return p;
    }

    static LabelSelector labels(String... kv) {
        LabelSelectorBuilder b = new LabelSelectorBuilder();
        for (int i = 0; i < kv.length; i += 2) {
            b.addToMatchLabels(kv[i], kv[i + 1]);
        }
        return b.build();
    }

    static LabelSelector expression(String key, String op, String... values) {
        return new LabelSelectorBuilder().addNewMatchExpression().withKey(key).withOperator(op)
                .withValues(values.length == 0 ? null : List.of(values)).endMatchExpression().build();
    }
}
