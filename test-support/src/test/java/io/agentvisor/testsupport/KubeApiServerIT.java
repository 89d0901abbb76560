package io.agentvisor.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Smoke tests proving the control plane is a real kube-apiserver enforcing the project's CRD schemas. */
@ExtendWith(KubeApiServerExtension.class)
class KubeApiServerIT {
    private static final ResourceDefinitionContext VM = new ResourceDefinitionContext.Builder()
            .withGroup("agentvisor.io").withVersion("v1alpha1").withPlural("virtualmachines").withKind("VirtualMachine")
            .withNamespaced(true).build();

    @Test
    void servesVersion120AndTheProjectCrds(KubeApiServer server) {
        KubernetesClient client = server.client();
        assertEquals("1", client.getKubernetesVersion().getMajor());
        assertEquals("20", client.getKubernetesVersion().getMinor());
        var crds = server.kubectl("get", "crd", "-o", "name");
        assertEquals(0, crds.exitCode(), crds.output());
        assertTrue(crds.output().contains("virtualmachines.agentvisor.io"), crds.output());
        assertTrue(crds.output().contains("guestagentpolicies.agentvisor.io"), crds.output());
    }

    @Test
    void rejectsAnObjectViolatingTheSchemaWith422NamingTheField(KubernetesClient client) {
        GenericKubernetesResource bad = new GenericKubernetesResourceBuilder().withApiVersion("agentvisor.io/v1alpha1")
                .withKind("VirtualMachine").withNewMetadata().withName("zero-cores").withNamespace("default").endMetadata()
                .withAdditionalProperties(Map.of("spec", Map.of("cpu", Map.of("cores", 0), "memory", "lots")))
                .build();
        var e = assertThrows(KubernetesClientException.class,
                () -> client.genericKubernetesResources(VM).resource(bad).create());
        assertEquals(422, e.getCode(), e.getMessage());
        assertTrue(e.getMessage().contains("spec.cpu.cores"), e.getMessage());
        assertTrue(e.getMessage().contains("spec.memory"), e.getMessage());
    }
}
