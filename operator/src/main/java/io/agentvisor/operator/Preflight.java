package io.agentvisor.operator;

import java.time.Duration;
import java.util.Optional;

import io.agentvisor.api.v1alpha1.GuestAgentPolicy;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * The start-up check: is the API reachable, and are our CRDs installed? Uses its own client with short timeouts and
 * no retries, so a wrong kubeconfig fails in seconds with one clear line instead of minutes of retries.
 */
public final class Preflight {
    private Preflight() {
    }

    /** One line describing the problem, or empty when the operator can start. */
    public static Optional<String> check(Config base, Duration timeout) {
        int ms = (int) Math.max(1, timeout.toMillis());
        Config config = new ConfigBuilder(base).withRequestRetryBackoffLimit(0).withConnectionTimeout(ms)
                .withRequestTimeout(ms).build();
        String url = config.getMasterUrl();
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
            try {
                client.getKubernetesVersion();
            } catch (RuntimeException e) {
                return Optional.of("cannot reach the Kubernetes API at " + url + ": " + rootCause(e));
            }
            for (Class<? extends HasMetadata> type : java.util.List.of(VirtualMachine.class, GuestAgentPolicy.class)) {
                String crd = HasMetadata.getPlural(type) + "." + HasMetadata.getGroup(type);
                try {
                    client.resources(type).inAnyNamespace().list(new io.fabric8.kubernetes.api.model.ListOptionsBuilder().withLimit(1L).build());
                } catch (KubernetesClientException e) {
                    if (e.getCode() == 404) {
                        return Optional.of("CustomResourceDefinition " + crd + " is not installed in the cluster at "
                                + url + ": run kubectl apply -f crds/");
                    }
                    if (e.getCode() == 401 || e.getCode() == 403) {
                        return Optional.of("not allowed to list " + crd + " at " + url + " (HTTP " + e.getCode()
                                + "): check the credentials and RBAC of the kubeconfig");
                    }
                    return Optional.of("cannot list " + crd + " at " + url + ": " + rootCause(e));
                } catch (RuntimeException e) {
                    return Optional.of("cannot list " + crd + " at " + url + ": " + rootCause(e));
                }
            }
        }
        return Optional.empty();
    }

    static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        String text = m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
        return text.replaceAll("\\s+", " ").trim();
    }
}
