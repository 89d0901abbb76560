package io.agentvisor.conditions;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentvisor.api.v1alpha1.Bounds;
import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.Text;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The status aggregator of one writer's conditions on one object (in the style of the status aggregators of
 * Keycloak's operator and the Java Operator SDK's samples): made from the entries stored now, filled by one
 * {@link #set} a condition, then read as the list to write. Every condition carries the object's generation as
 * {@code observedGeneration}; its {@code lastTransitionTime} is the stored one while the status stays the same,
 * else the time of this reconcile (second precision, RFC 3339). {@link #changed} says whether anything differs
 * from what is stored: a writer patches only then. A type of the writer's that is not set is absent (and removed
 * from the object when written).
 */
public final class ConditionSet {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> types;
    private final Map<String, Condition> stored = new TreeMap<>();
    private final Map<String, Condition> built = new TreeMap<>();
    private final Long generation;
    private final String now;

    /**
     * @param types      the condition types this writer owns on the object (the others are not looked at)
     * @param stored     the object's conditions as stored now (any writer's; null when it has none)
     * @param generation the object's metadata.generation these conditions are computed from
     * @param now        the time of this reconcile, for the conditions whose status changes
     */
    public ConditionSet(List<String> types, List<Condition> stored, Long generation, Instant now) {
        this.types = List.copyOf(types);
        this.generation = generation;
        this.now = now.truncatedTo(ChronoUnit.SECONDS).toString();
        if (stored != null) {
            stored.stream().filter(c -> this.types.contains(c.getType())).forEach(c -> this.stored.put(c.getType(), c));
        }
    }

    /** Sets the condition of {@code type} (one of this writer's types); reason and message cut to their bounds. */
    public ConditionSet set(String type, boolean status, String reason, String message) {
        if (!types.contains(type)) {
            throw new IllegalArgumentException("condition " + type + " is not one of this writer's " + types);
        }
        String s = status ? Condition.TRUE : Condition.FALSE;
        Condition previous = stored.get(type);
        Condition c = new Condition();
        c.setType(type);
        c.setStatus(s);
        c.setReason(Text.bounded(reason, Bounds.REASON));
        c.setMessage(Text.bounded(message, Bounds.MESSAGE));
        c.setObservedGeneration(generation);
        c.setLastTransitionTime(previous != null && s.equals(previous.getStatus())
                && previous.getLastTransitionTime() != null ? previous.getLastTransitionTime() : now);
        built.put(type, c);
        return this;
    }

    /** This writer's condition types. */
    public List<String> types() {
        return types;
    }

    /** The condition as set, or null. */
    public Condition get(String type) {
        return built.get(type);
    }

    /** The condition of this writer's as stored before, or null. */
    public Condition stored(String type) {
        return stored.get(type);
    }

    /** The conditions as set, sorted by type. */
    public List<Condition> list() {
        return List.copyOf(built.values());
    }

    /** Whether this writer's conditions differ from the stored ones (a write is due). */
    public boolean changed() {
        return !JSON.valueToTree(stored).equals(JSON.valueToTree(built));
    }

    /** Whether the condition's status or reason differ from the stored one (a transition worth an event). */
    public boolean transitioned(String type) {
        Condition before = stored.get(type);
        Condition after = built.get(type);
        return after != null && (before == null || !Objects.equals(before.getStatus(), after.getStatus())
                || !Objects.equals(before.getReason(), after.getReason()));
    }
}
