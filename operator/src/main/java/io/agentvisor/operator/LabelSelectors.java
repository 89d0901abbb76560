package io.agentvisor.operator;

import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;

/** Evaluates a standard LabelSelector (matchLabels and set-based matchExpressions) against labels. */
public final class LabelSelectors {
    private LabelSelectors() {
    }

    /**
     * Whether the selector matches. A null selector matches nothing, an empty one everything (Kubernetes
     * conventions). Malformed requirements (unknown operator, values where none are allowed) match nothing; they
     * are reported by {@link io.agentvisor.api.v1alpha1.SpecValidation}.
     */
    public static boolean matches(LabelSelector selector, Map<String, String> labels) {
        if (selector == null) {
            return false;
        }
        Map<String, String> l = labels == null ? Map.of() : labels;
        if (selector.getMatchLabels() != null) {
            for (Map.Entry<String, String> e : selector.getMatchLabels().entrySet()) {
                if (!e.getValue().equals(l.get(e.getKey()))) {
                    return false;
                }
            }
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
                if (!matches(r, l)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean matches(LabelSelectorRequirement r, Map<String, String> labels) {
        List<String> values = r.getValues() == null ? List.of() : r.getValues();
        String v = labels.get(r.getKey());
        switch (String.valueOf(r.getOperator())) {
            case "In":
                return v != null && values.contains(v);
            case "NotIn":
                return v == null || !values.contains(v);
            case "Exists":
                return values.isEmpty() && labels.containsKey(r.getKey());
            case "DoesNotExist":
                return values.isEmpty() && !labels.containsKey(r.getKey());
            default:
                return false;
        }
    }

    /** Whether every {@code key: value} of a nodeSelector is among the labels. */
    public static boolean matchesNodeSelector(Map<String, String> nodeSelector, Map<String, String> labels) {
        if (nodeSelector == null) {
            return true;
        }
        for (Map.Entry<String, String> e : nodeSelector.entrySet()) {
            if (labels == null || !e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }
}
