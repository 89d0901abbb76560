package io.agentvisor.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Instant;
import java.util.Map;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

class OperatorReadinessTest {
    static final String URL = "https://api:6443/";
    static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void readyWhenTheControllersAreStartedAndTheApiIsReachable() {
        HealthCheckResponse r = OperatorReadiness.respond(true, URL, new ApiReachability.Status(true, T, null));
        assertEquals(HealthCheckResponse.Status.UP, r.getStatus());
        assertEquals("agentvisor-operator", r.getName());
        Map<String, Object> data = r.getData().orElseThrow();
        assertEquals("started", data.get("controllers"));
        assertEquals(URL, data.get("kubernetesApi"));
        assertEquals(true, data.get("kubernetesApiReachable"));
        assertEquals(T.toString(), data.get("kubernetesApiLastContact"));
        assertFalse(data.containsKey("kubernetesApiProblem"));
    }

    @Test
    void notReadyWhileTheApiIsUnreachable() {
        HealthCheckResponse r = OperatorReadiness.respond(true, URL,
                new ApiReachability.Status(false, T, "Connection refused"));
        assertEquals(HealthCheckResponse.Status.DOWN, r.getStatus());
        assertEquals("Connection refused", r.getData().orElseThrow().get("kubernetesApiProblem"));
        assertEquals(false, r.getData().orElseThrow().get("kubernetesApiReachable"));
    }

    @Test
    void notReadyBeforeTheControllersStarted() {
        HealthCheckResponse r = OperatorReadiness.respond(false, URL, new ApiReachability.Status(true, T, null));
        assertEquals(HealthCheckResponse.Status.DOWN, r.getStatus());
        assertEquals("not started", r.getData().orElseThrow().get("controllers"));
    }
}
