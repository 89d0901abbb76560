package io.agentvisor.operator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import io.agentvisor.testsupport.ApiFaultProxy;
import io.agentvisor.testsupport.KubeApiServer;
import io.fabric8.kubernetes.client.Config;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Points the operator under test at the run's real kube-apiserver through an {@link ApiFaultProxy} (not faulting until
 * the test says so, over the proxy's control URL in the system property {@link #CONTROL_URL}: the application may
 * live in another class loader than the test).
 */
public class FaultyApiResource implements QuarkusTestResourceLifecycleManager {
    /** Not under agentvisor.: that prefix is the operator's own configuration, which refuses unknown keys. */
    static final String CONTROL_URL = "it.api-fault-proxy.url";
    private ApiFaultProxy proxy;
    private Path kubeconfig;

    @Override
    public Map<String, String> start() {
        KubeApiServer server = KubeApiServer.shared();
        // a request held this long outlives the client's own timeout: it is a timeout, not a slow answer
        proxy = ApiFaultProxy.start(server, 20261130L, 0.5, Duration.ofSeconds(15));
        try {
            kubeconfig = Files.createTempFile("faulty-api", ".kubeconfig");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        proxy.writeKubeconfig(server, kubeconfig);
        System.setProperty(Config.KUBERNETES_KUBECONFIG_FILE, kubeconfig.toString());
        System.setProperty(CONTROL_URL, proxy.url());
        return Map.of("agentvisor.images.allowed-dirs", "/var/lib/agentvisor/images,/root/.cache/agentvisor/guest",
                "agentvisor.launcher-image", "agentvisor/vm-launcher:it");
    }

    /** After {@link KubeApiServerResource} (global, order 0): this kubeconfig is the one the operator reads. */
    @Override
    public int order() {
        return 100;
    }

    @Override
    public void stop() {
        System.setProperty(Config.KUBERNETES_KUBECONFIG_FILE, KubeApiServer.shared().kubeconfig().toString());
        System.clearProperty(CONTROL_URL);
        if (proxy != null) {
            proxy.close();
        }
        try {
            if (kubeconfig != null) {
                Files.deleteIfExists(kubeconfig);
            }
        } catch (IOException ignored) {
            // a temporary file
        }
    }
}
