package io.agentvisor.operator;

import java.time.Duration;
import java.util.Optional;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;

import org.jboss.logging.Logger;

import io.agentvisor.api.v1alpha1.GuestAgentPolicy;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;

/**
 * Starts the controllers only after the configuration ({@link OperatorConfig#problem}) and the check of the API
 * ({@link #preflight}) passed (QOSDK's own start is disabled with {@code quarkus.operator-sdk.start-operator=false});
 * otherwise logs one line and exits with status 1. Runs before QOSDK's own start-up listener (priority 3123).
 */
@ApplicationScoped
public class OperatorStartup {
    private static final Logger LOG = Logger.getLogger(OperatorStartup.class);

    void onStart(@Observes @Priority(2000) StartupEvent event, KubernetesClient client, Instance<Operator> operator,
            OperatorConfig config, ApiReachability api) {
        var problem = config.problem().or(() -> preflight(client.getConfiguration(), config.startupTimeout()));
        if (problem.isPresent()) {
            LOG.error("agentvisor-operator cannot start: " + problem.get());
            Quarkus.asyncExit(1);
            return;
        }
        LOG.infof("Kubernetes API at %s reachable, CRDs installed: starting controllers (product default "
                + "responseTimeout %s)", client.getConfiguration().getMasterUrl(), config.defaultResponseTimeout());
        api.start();
        operator.get().start();
    }

    /**
     * The start-up check: is the API reachable, and are our CRDs installed? Uses its own client with short timeouts
     * and no retries, so a wrong kubeconfig fails in seconds with one clear line instead of minutes of retries.
     * One line describing the problem, or empty when the operator can start.
     */
    static Optional<String> preflight(Config base, Duration timeout) {
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
