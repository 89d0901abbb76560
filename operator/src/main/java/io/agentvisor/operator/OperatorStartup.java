package io.agentvisor.operator;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;

/**
 * Starts the controllers only after {@link Preflight} passed (QOSDK's own start is disabled with
 * {@code quarkus.operator-sdk.start-operator=false}); otherwise logs one line and exits with status 1.
 */
@ApplicationScoped
public class OperatorStartup {
    private static final Logger LOG = Logger.getLogger(OperatorStartup.class);

    void onStart(@Observes StartupEvent event, KubernetesClient client, Operator operator, OperatorConfig config) {
        var problem = Preflight.check(client.getConfiguration(), config.startupTimeout());
        if (problem.isPresent()) {
            LOG.error("agentvisor-operator cannot start: " + problem.get());
            Quarkus.asyncExit(1);
            return;
        }
        LOG.infof("Kubernetes API at %s reachable, CRDs installed: starting controllers",
                client.getConfiguration().getMasterUrl());
        operator.start();
    }
}
