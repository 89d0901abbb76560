package io.agentvisor.operator;

import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;

/**
 * Readiness ({@code /q/health/ready}): the Kubernetes API is reachable and the controllers are started. Answers from
 * memory ({@link ApiReachability}), so a slow API cannot make the probe itself time out. Deliberately not a liveness
 * check: restarting the operator does not bring an unreachable API back. (QOSDK adds its own readiness check, which
 * is down while the controllers are stopped or one of their informers is not watching; both agree.)
 */
@Readiness
@Singleton
public class OperatorReadiness implements HealthCheck {
    public static final String NAME = "agentvisor-operator";

    private final Operator operator;
    private final ApiReachability api;

    public OperatorReadiness(Operator operator, ApiReachability api) {
        this.operator = operator;
        this.api = api;
    }

    @Override
    public HealthCheckResponse call() {
        return respond(operator.getRuntimeInfo().isStarted(), api.url(), api.status());
    }

    static HealthCheckResponse respond(boolean started, String url, ApiReachability.Status status) {
        HealthCheckResponseBuilder b = HealthCheckResponse.named(NAME).status(started && status.reachable())
                .withData("controllers", started ? "started" : "not started")
                .withData("kubernetesApi", url)
                .withData("kubernetesApiReachable", status.reachable());
        if (status.lastContact() != null) {
            b.withData("kubernetesApiLastContact", status.lastContact().toString());
        }
        if (status.problem() != null) {
            b.withData("kubernetesApiProblem", status.problem());
        }
        return b.build();
    }

    /** The probe of the API the operator's client talks to. */
    @Singleton
    static class Producer {
        @Produces
        @Singleton
        ApiReachability apiReachability(KubernetesClient client, OperatorConfig config) {
            return ApiReachability.of(client.getConfiguration(), config.startupTimeout());
        }

        void close(@Disposes ApiReachability api) {
            api.close();
        }
    }
}
