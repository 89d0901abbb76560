package io.agentvisor.operator;

import static io.agentvisor.operator.ItSupport.PATIENCE;
import static io.agentvisor.operator.ItSupport.awaitPod;
import static io.agentvisor.operator.ItSupport.client;
import static io.agentvisor.operator.ItSupport.create;
import static io.agentvisor.operator.ItSupport.newNamespace;
import static io.agentvisor.operator.ItSupport.newVm;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;

import io.agentvisor.api.v1alpha1.VmPods;
import io.fabric8.kubernetes.api.model.Event;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** A VM whose name uses all 253 characters: its pod, its pod's labels and its events are all valid objects. */
@QuarkusTest
@QuarkusTestResource(KubeApiServerResource.class)
class LongNamesIT {

    @Test
    void aVmWithTheLongestNameGetsItsPodAndItsEvents() {
        String ns = newNamespace("names");
        String name = "a".repeat(120) + "." + "b".repeat(132); // 253 characters, a '.' inside
        create(newVm(ns, name, Map.of(), "256Mi"));
        var pod = awaitPod(ns, name, p -> true);
        assertTrue(pod.getMetadata().getName().length() <= 253, pod.getMetadata().getName());
        assertTrue(pod.getMetadata().getLabels().get(VmPods.VM_LABEL).length() <= 63, pod.getMetadata().getLabels()
                .toString());
        Event created = await().atMost(PATIENCE).pollInterval(Duration.ofMillis(250)).until(() -> client().v1()
                .events().inNamespace(ns).list().getItems().stream().filter(e -> name.equals(e.getInvolvedObject()
                        .getName()) && "PodCreated".equals(e.getReason())).findFirst().orElse(null),
                e -> e != null);
        assertTrue(created.getMetadata().getName().length() <= 253, created.getMetadata().getName());
    }
}
