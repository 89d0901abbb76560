package io.agentvisor.operator;

import java.util.Objects;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/** Compares the fields a writer owns, as JSON, so a status is written only when its content changed. */
final class StatusDiff {
    private static final KubernetesSerialization JSON = new KubernetesSerialization();

    private StatusDiff() {
    }

    static boolean sameJson(Object a, Object b) {
        return Objects.equals(JSON.convertValue(a, com.fasterxml.jackson.databind.JsonNode.class),
                JSON.convertValue(b, com.fasterxml.jackson.databind.JsonNode.class));
    }
}
