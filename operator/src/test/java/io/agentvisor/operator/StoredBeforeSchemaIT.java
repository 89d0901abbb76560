package io.agentvisor.operator;

import static io.agentvisor.operator.ItSupport.PATIENCE;
import static io.agentvisor.operator.ItSupport.awaitPod;
import static io.agentvisor.operator.ItSupport.awaitVm;
import static io.agentvisor.operator.ItSupport.client;
import static io.agentvisor.operator.ItSupport.create;
import static io.agentvisor.operator.ItSupport.newNamespace;
import static io.agentvisor.operator.ItSupport.newPolicy;
import static io.agentvisor.operator.ItSupport.newVm;
import static io.agentvisor.operator.ItSupport.pod;
import static io.agentvisor.operator.ItSupport.timeout;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.Conditions;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.testsupport.Repo;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/**
 * Objects stored while the schema was looser than the Java types (applied with an older CRD, then the committed one):
 * the running operator names the bad field, leaves that VM's pod alone, and keeps reconciling every other object;
 * readiness stays UP.
 */
@QuarkusTest
@QuarkusTestResource(KubeApiServerResource.class)
class StoredBeforeSchemaIT {
    @TestHTTPResource("/")
    URL root;

    @Test
    void anObjectTheTypesCannotHoldIsReportedAndTheOthersKeepBeingReconciled() throws Exception {
        String ns = newNamespace("stored");
        String policyNs = newNamespace("stored-policy");
        create(newVm(ns, "before", Map.of(), "256Mi"));
        awaitPod(ns, "before", p -> true);
        CustomResourceDefinition vmCrd = committed("virtualmachines.agentvisor.io");
        CustomResourceDefinition gapCrd = committed("guestagentpolicies.agentvisor.io");
        try {
            // the schema as it was before it had maxima
            apply(loosened(vmCrd, s -> s.getProperties().get("spec").getProperties().get("guestAgent")
                    .getProperties().get("unresponsiveAfter").setMaximum(null)));
            apply(loosened(gapCrd, s -> s.getProperties().get("spec").getProperties().get("priority")
                    .setMaximum(null)));
            createWhenAccepted(ns, "VirtualMachine", "bad", "{memory: 256Mi, boot: {kernel: "
                    + "/var/lib/agentvisor/images/vmlinuz}, guestAgent: {unresponsiveAfter: 3000000000}}");
            createWhenAccepted(policyNs, "GuestAgentPolicy", "bad-policy", "{selector: {}, priority: 3000000000}");
        } finally {
            apply(vmCrd);
            apply(gapCrd);
        }

        // the bad VM is named in a Warning event, gets no pod, and the watch goes on
        Event event = await().atMost(PATIENCE).pollInterval(Duration.ofMillis(250)).until(
                () -> warning(ns, "bad", "Unreadable"), Objects::nonNull);
        assertTrue(event.getMessage().contains("spec.guestAgent.unresponsiveAfter: 3000000000 is out of range"),
                event.getMessage());
        Event policyEvent = await().atMost(PATIENCE).pollInterval(Duration.ofMillis(250)).until(
                () -> warning(policyNs, "bad-policy", "Unreadable"), Objects::nonNull);
        assertTrue(policyEvent.getMessage().contains("spec.priority: 3000000000 is out of range"),
                policyEvent.getMessage());

        // objects created and changed after it are reconciled: a new VM gets its pod and its settings, the VM from
        // before is stopped when asked
        create(newVm(ns, "after", Map.of(), "256Mi"));
        awaitPod(ns, "after", p -> true);
        VirtualMachine after = awaitVm(ns, "after", v -> timeout(v) != null);
        assertTrue(Conditions.isTrue(after.getStatus().getConditions(), ConditionTypes.SPEC_VALID));
        client().resources(VirtualMachine.class).inNamespace(ns).withName("before")
                .edit(v -> {
                    v.getSpec().setRunStrategy(io.agentvisor.api.v1alpha1.RunStrategy.Halted);
                    return v;
                });
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(250)).until(() -> {
            var p = pod(ns, "before");
            return p == null || p.getMetadata().getDeletionTimestamp() != null;
        });
        assertNull(pod(ns, "bad"), "no pod for a VM whose spec cannot be read");

        // a VM in the namespace of the unreadable policy keeps out of resolution and says why
        create(newVm(policyNs, "governed", Map.of(), "256Mi"));
        VirtualMachine governed = awaitVm(policyNs, "governed", v -> v.getStatus() != null && Conditions.find(
                v.getStatus().getConditions(), ConditionTypes.POLICY_APPLIED) != null);
        Condition applied = Conditions.find(governed.getStatus().getConditions(), ConditionTypes.POLICY_APPLIED);
        assertEquals("False", applied.getStatus(), applied.toString());
        assertTrue(applied.getMessage().contains("GuestAgentPolicy/" + policyNs + "/bad-policy cannot be read"),
                applied.getMessage());

        JsonNode ready = Http.json(Http.get(root, "/q/health/ready"));
        assertEquals("UP", ready.path("status").asText(), ready.toString());

        // fixed (here: deleted) objects stop mattering: the namespace resolves again
        client().genericKubernetesResources("agentvisor.io/v1alpha1", "GuestAgentPolicy").inNamespace(policyNs)
                .withName("bad-policy").delete();
        awaitVm(policyNs, "governed", v -> Conditions.isTrue(v.getStatus().getConditions(),
                ConditionTypes.POLICY_APPLIED));
        client().genericKubernetesResources("agentvisor.io/v1alpha1", "VirtualMachine").inNamespace(ns)
                .withName("bad").delete();
    }

    private static Event warning(String ns, String name, String reason) {
        List<Event> events = client().v1().events().inNamespace(ns).list().getItems();
        return events.stream().filter(e -> name.equals(e.getInvolvedObject().getName())
                && reason.equals(e.getReason())).findFirst().orElse(null);
    }

    private static CustomResourceDefinition committed(String crd) throws IOException {
        return Serialization.unmarshal(Files.readString(Repo.root().resolve("crds/" + crd + ".yaml")),
                CustomResourceDefinition.class);
    }

    private static CustomResourceDefinition loosened(CustomResourceDefinition crd, Consumer<JSONSchemaProps> edit) {
        CustomResourceDefinition copy = Serialization.clone(crd);
        edit.accept(copy.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema());
        return copy;
    }

    private static void apply(CustomResourceDefinition crd) {
        crd.getMetadata().setResourceVersion(null);
        client().apiextensions().v1().customResourceDefinitions().resource(crd).forceConflicts().serverSideApply();
    }

    /** Creates the object once the apiserver has taken the loosened schema (it applies a CRD update shortly after). */
    private static void createWhenAccepted(String ns, String kind, String name, String spec) {
        String yaml = "apiVersion: agentvisor.io/v1alpha1\nkind: " + kind + "\nmetadata: {name: " + name
                + "}\nspec: " + spec + "\n";
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(200)).ignoreException(KubernetesClientException.class)
                .until(() -> {
                    GenericKubernetesResource r = Serialization.unmarshal(yaml, GenericKubernetesResource.class);
                    client().genericKubernetesResources("agentvisor.io/v1alpha1", kind).inNamespace(ns).resource(r)
                            .create();
                    return true;
                });
    }
}
