package io.agentvisor.operator;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;

/**
 * Starts the controllers only after the configuration ({@link OperatorConfig#problem}) and {@link Preflight} passed
 * (QOSDK's own start is disabled with {@code quarkus.operator-sdk.start-operator=false}); otherwise logs one line and
 * exits with status 1. Runs before QOSDK's own start-up listener (priority 3123).
 */
@ApplicationScoped
public class OperatorStartup {
    private static final Logger LOG = Logger.getLogger(OperatorStartup.class);

    void onStart(@Observes @Priority(2000) StartupEvent event, KubernetesClient client, Instance<Operator> operator,
            OperatorConfig config, ApiReachability api) {
        var problem = config.problem()
                .or(() -> Preflight.check(client.getConfiguration(), config.startupTimeout()));
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
}
