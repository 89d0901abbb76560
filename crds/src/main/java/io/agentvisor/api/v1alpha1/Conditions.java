package io.agentvisor.api.v1alpha1;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;

/** Building conditions with a stable lastTransitionTime. */
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

    /**
     * A condition of {@code type} with the given status, reason and message. {@code lastTransitionTime} is kept
     * from {@code previous} when the status did not change, else it is {@code now} (second precision, RFC 3339).
     */
    public static Condition of(String type, boolean status, String reason, String message, Long observedGeneration,
            Condition previous, Instant now) {
        String s = status ? Condition.TRUE : Condition.FALSE;
        Condition c = new Condition();
        c.setType(type);
        c.setStatus(s);
        c.setReason(reason);
        c.setMessage(message);
        c.setObservedGeneration(observedGeneration);
        if (previous != null && Objects.equals(previous.getStatus(), s) && previous.getLastTransitionTime() != null) {
            c.setLastTransitionTime(previous.getLastTransitionTime());
        } else {
            c.setLastTransitionTime(now.truncatedTo(ChronoUnit.SECONDS).toString());
        }
        return c;
    }

    public static boolean isTrue(List<Condition> conditions, String type) {
        Condition c = find(conditions, type);
        return c != null && Condition.TRUE.equals(c.getStatus());
    }
}
