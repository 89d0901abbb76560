package io.agentvisor.api.v1alpha1;

import java.util.List;

/** Reading a status's conditions (building and writing them is each writer's business, not the API types'). */
public final class Conditions {
    private Conditions() {
    }

    /** The condition of this type in the list, or null. */
    public static Condition find(List<Condition> conditions, String type) {
        if (conditions == null) {
            return null;
        }
        for (Condition c : conditions) {
            if (type.equals(c.getType())) {
                return c;
            }
        }
        return null;
    }

    public static boolean isTrue(List<Condition> conditions, String type) {
        Condition c = find(conditions, type);
        return c != null && Condition.TRUE.equals(c.getStatus());
    }
}
