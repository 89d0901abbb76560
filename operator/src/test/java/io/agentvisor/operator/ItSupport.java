package io.agentvisor.operator;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.Conditions;
import io.agentvisor.api.v1alpha1.GuestAgentPolicy;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VmPods;
import io.agentvisor.testsupport.KubeApiServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/** Helpers shared by the operator's integration tests (real apiserver, the operator running in Quarkus). */
final class ItSupport {
    /** Generous: the machine is shared with other builds. */
    static final Duration PATIENCE = Duration.ofSeconds(60);

    private ItSupport() {
    }

    static KubernetesClient client() {
        return KubeApiServer.shared().client();
    }

    static String newNamespace(String prefix) {
        String ns = prefix + "-" + UUID.randomUUID().toString().substring(0, 6);
        client().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
                .create();
        // what the service-account controller (not run by the test control plane) would create: the pod admission
        // of the apiserver needs it even for pods that mount no token
        client().serviceAccounts().inNamespace(ns).resource(new ServiceAccountBuilder().withNewMetadata()
                .withName("default").endMetadata().build()).create();
        return ns;
    }

    /** A valid VM (kernel in an allowed directory) without node selector. */
    static VirtualMachine newVm(String ns, String name, Map<String, String> labels, String memory) {
        VirtualMachine vm = Fixtures.vm(ns, name, labels, memory);
        vm.getMetadata().setUid(null);
        vm.getMetadata().setGeneration(null);
        return vm;
    }

    static GuestAgentPolicy newPolicy(String ns, String name, int priority, io.fabric8.kubernetes.api.model.LabelSelector
            selector, Object timeout) {
        GuestAgentPolicy p = Fixtures.policy(ns, name, priority, selector, timeout);
        p.getMetadata().setGeneration(null);
        return p;
    }

    static VirtualMachine create(VirtualMachine vm) {
        return client().resource(vm).create();
    }

    static GuestAgentPolicy create(GuestAgentPolicy p) {
        return client().resource(p).create();
    }

    static VirtualMachine vm(String ns, String name) {
        return client().resources(VirtualMachine.class).inNamespace(ns).withName(name).get();
    }

    static GuestAgentPolicy policy(String ns, String name) {
        return client().resources(GuestAgentPolicy.class).inNamespace(ns).withName(name).get();
    }

    static VirtualMachine awaitVm(String ns, String name, Predicate<VirtualMachine> p) {
        return await().atMost(PATIENCE).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> vm(ns, name), v -> v != null && p.test(v));
    }

    static GuestAgentPolicy awaitPolicy(String ns, String name, Predicate<GuestAgentPolicy> p) {
        return await().atMost(PATIENCE).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> policy(ns, name), v -> v != null && p.test(v));
    }

    static Integer timeout(VirtualMachine vm) {
        return vm.getStatus() == null || vm.getStatus().getAgentPolicy() == null ? null
                : vm.getStatus().getAgentPolicy().getResponseTimeout();
    }

    static String source(VirtualMachine vm) {
        return vm.getStatus().getAgentPolicy().getSource();
    }

    static Condition condition(List<Condition> conditions, String type) {
        return Conditions.find(conditions, type);
    }

    static boolean conditionIs(VirtualMachine vm, String type, String status, String reason) {
        Condition c = vm.getStatus() == null ? null : Conditions.find(vm.getStatus().getConditions(), type);
        return c != null && status.equals(c.getStatus()) && (reason == null || reason.equals(c.getReason()));
    }

    static String nodeName(VirtualMachine vm) {
        return vm.getStatus() == null ? null : vm.getStatus().getNodeName();
    }

    static Pod pod(String ns, String vmName) {
        return client().pods().inNamespace(ns).withName(VmPods.podName(vmName)).get();
    }

    static Pod awaitPod(String ns, String vmName, Predicate<Pod> p) {
        return await().atMost(PATIENCE).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> pod(ns, vmName), x -> x != null && p.test(x));
    }
}
