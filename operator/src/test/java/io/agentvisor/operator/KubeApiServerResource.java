package io.agentvisor.operator;

import java.util.Map;

import io.agentvisor.testsupport.KubeApiServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Points the operator under test at the run's real kube-apiserver (CRDs from crds/ applied by the launcher), with
 * its node Leases in {@link #LEASE_NAMESPACE}.
 */
public class KubeApiServerResource implements QuarkusTestResourceLifecycleManager {
    public static final String LEASE_NAMESPACE = "agentvisor-it";

    @Override
    public Map<String, String> start() {
        KubeApiServer server = KubeApiServer.shared();
        if (server.client().namespaces().withName(LEASE_NAMESPACE).get() == null) {
            server.client().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(LEASE_NAMESPACE)
                    .endMetadata().build()).create();
        }
        // the operator's client auto-configures from a kubeconfig, as it does when run from its jar
        System.setProperty(Config.KUBERNETES_KUBECONFIG_FILE, server.kubeconfig().toString());
        return Map.of("agentvisor.namespace", LEASE_NAMESPACE,
                "agentvisor.images.allowed-dirs", "/var/lib/agentvisor/images,/root/.cache/agentvisor/guest",
                "agentvisor.placement.retry-interval", "3s");
    }

    @Override
    public void stop() {
        // the control plane is shared by the whole test JVM and stopped at its exit
    }
}
