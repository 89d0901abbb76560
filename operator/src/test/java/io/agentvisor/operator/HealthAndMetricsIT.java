package io.agentvisor.operator;

import static io.agentvisor.operator.ItSupport.PATIENCE;
import static io.agentvisor.operator.ItSupport.awaitVm;
import static io.agentvisor.operator.ItSupport.client;
import static io.agentvisor.operator.ItSupport.conditionIs;
import static io.agentvisor.operator.ItSupport.create;
import static io.agentvisor.operator.ItSupport.newNamespace;
import static io.agentvisor.operator.ItSupport.newVm;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** The endpoints the Helm chart uses: /q/health/live, /q/health/ready (probes) and /metrics (Prometheus). */
@QuarkusTest
@QuarkusTestResource(KubeApiServerResource.class)
class HealthAndMetricsIT {
    @TestHTTPResource("/")
    URL root;

    @Test
    void readyWithTheControllersStartedAndTheApiReachable() throws Exception {
        JsonNode ready = await().atMost(PATIENCE).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> Http.json(Http.get(root, "/q/health/ready")), r -> "UP".equals(r.path("status").asText()));
        JsonNode own = Http.check(ready, OperatorReadiness.NAME);
        assertEquals("UP", own.path("status").asText(), ready.toString());
        assertEquals("started", own.path("data").path("controllers").asText(), ready.toString());
        assertEquals(client().getConfiguration().getMasterUrl(), own.path("data").path("kubernetesApi").asText());
        // QOSDK's own readiness check (controllers started, informers watching) is there and agrees
        assertEquals("UP", Http.check(ready, "Quarkus Operator SDK health check").path("status").asText(),
                ready.toString());
    }

    @Test
    void livenessDoesNotDependOnTheApi() throws Exception {
        Http.Response live = Http.get(root, "/q/health/live");
        assertEquals(200, live.status(), live.body());
        JsonNode json = Http.json(live);
        assertEquals("UP", json.path("status").asText());
        for (JsonNode check : json.path("checks")) {
            String name = check.path("name").asText();
            assertTrue(!name.equals(OperatorReadiness.NAME) && !name.contains("Operator SDK"),
                    "an API-dependent check in liveness: " + json);
        }
    }

    @Test
    void metricsCountWritesAndVmsByPlacement() throws Exception {
        String ns = newNamespace("metrics");
        Http.Response first = Http.get(root, "/metrics");
        assertEquals(200, first.status(), first.body());
        String vmStatus = "agentvisor_operator_writes_total{kind=\"VirtualMachine\",target=\"status\"}";
        String podCreates = "agentvisor_operator_writes_total{kind=\"Pod\",target=\"create\"}";
        String policyStatus = "agentvisor_operator_writes_total{kind=\"GuestAgentPolicy\",target=\"status\"}";
        double statusWrites = Http.sample(first.body(), vmStatus);
        double podsCreated = Http.sample(first.body(), podCreates);
        Http.sample(first.body(), policyStatus);

        // no scheduler runs here: the operator creates the pod and writes its status (PodPending) once
        create(newVm(ns, "nowhere", Map.of(), "256Mi"));
        awaitVm(ns, "nowhere", v -> conditionIs(v, ConditionTypes.SCHEDULED, "False",
                ConditionTypes.REASON_POD_PENDING));
        String body = Http.get(root, "/metrics").body();
        assertTrue(Http.sample(body, vmStatus) >= statusWrites + 1, body);
        assertTrue(Http.sample(body, podCreates) >= podsCreated + 1, body);
        assertTrue(Http.sample(body, "agentvisor_operator_virtualmachines{placement=\"PodPending\"}") >= 1, body);

        // the placement gauges add up to every VirtualMachine of the cluster (they read the operator's cache)
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            String b = Http.get(root, "/metrics").body();
            double sum = 0;
            for (String p : OperatorMetrics.PLACEMENTS) {
                sum += Http.sample(b, "agentvisor_operator_virtualmachines{placement=\"" + p + "\"}");
            }
            assertEquals(client().resources(VirtualMachine.class).inAnyNamespace().list().getItems().size(), sum,
                    0.0, b);
        });
        // QOSDK's reconciliation metrics are served too
        assertTrue(body.contains("reconciliations_started_total"), body);
    }
}
