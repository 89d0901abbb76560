package io.agentvisor.operator;

import java.util.Map;

import io.agentvisor.testsupport.KubeApiServer;
import io.fabric8.kubernetes.client.Config;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Points the operator under test at the run's real kube-apiserver (CRDs from crds/ applied by the launcher).
 */
public class KubeApiServerResource implements QuarkusTestResourceLifecycleManager {
    @Override
    public Map<String, String> start() {
        KubeApiServer server = KubeApiServer.shared();
        // the operator's client auto-configures from a kubeconfig, as it does when run from its jar
        System.setProperty(Config.KUBERNETES_KUBECONFIG_FILE, server.kubeconfig().toString());
        return Map.of("agentvisor.images.allowed-dirs", "/var/lib/agentvisor/images,/root/.cache/agentvisor/guest",
                "agentvisor.launcher-image", "agentvisor/vm-launcher:it");
    }

    @Override
    public void stop() {
        // the control plane is shared by the whole test JVM and stopped at its exit
    }
}
