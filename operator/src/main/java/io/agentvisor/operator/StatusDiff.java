package io.agentvisor.operator;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import io.agentvisor.api.v1alpha1.Condition;
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

    /** The conditions of the given types, keyed by type (order does not matter in a map list). */
    static Map<String, Condition> byType(List<Condition> conditions, List<String> types) {
        Map<String, Condition> out = new TreeMap<>();
        if (conditions != null) {
            for (Condition c : conditions) {
                if (types.contains(c.getType())) {
                    out.put(c.getType(), c);
                }
            }
        }
        return out;
    }

    /** Whether the condition's status or reason differ from the previous one (a transition worth an event). */
    static boolean transitioned(Condition previous, Condition next) {
        return previous == null || !Objects.equals(previous.getStatus(), next.getStatus())
                || !Objects.equals(previous.getReason(), next.getReason());
    }
}
