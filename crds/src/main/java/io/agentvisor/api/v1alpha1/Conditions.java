package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

/** Building conditions with a stable lastTransitionTime, and writing one writer's entries next to another's. */
public final class Conditions {
    private static final int WRITE_ATTEMPTS = 6;

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
        c.setReason(Text.bounded(reason, Bounds.REASON));
        c.setMessage(Text.bounded(message, Bounds.MESSAGE));
        c.setObservedGeneration(observedGeneration);
        if (previous != null && Objects.equals(previous.getStatus(), s) && previous.getLastTransitionTime() != null) {
            c.setLastTransitionTime(previous.getLastTransitionTime());
        } else {
            c.setLastTransitionTime(now.truncatedTo(ChronoUnit.SECONDS).toString());
        }
        return c;
    }

    /**
     * {@code current} with the entries whose type is in {@code ownTypes} replaced by {@code own}: the other
     * writer's entries are kept as they are and where they are; a writer's own entries follow, sorted by type.
     */
    public static List<Condition> replaceOwn(List<Condition> current, Collection<String> ownTypes,
            List<Condition> own) {
        List<Condition> merged = new ArrayList<>();
        if (current != null) {
            current.stream().filter(c -> !ownTypes.contains(c.getType())).forEach(merged::add);
        }
        own.stream().sorted(Comparator.comparing(Condition::getType)).forEach(merged::add);
        return merged;
    }

    /**
     * The JSON patch (RFC 6902) that makes {@code vm}'s conditions {@link #replaceOwn} of its current ones, guarded
     * by its resourceVersion; empty when they already are.
     * <p>
     * Why not server-side apply: kube-apiserver 1.20 falls back to treating every list of a CRD as atomic when the
     * schema has an int-or-string field (ours do: responseTimeout, memory), so two appliers of
     * {@code status.conditions} would keep deleting each other's entries. A patch guarded by resourceVersion
     * replaces only the writer's own entries and fails (HTTP 422) instead of losing the other writer's update;
     * the caller re-reads and retries.
     */
    public static Optional<String> ownConditionsPatch(VirtualMachine vm, Collection<String> ownTypes,
            List<Condition> own) {
        List<Condition> current = vm.getStatus() == null ? null : vm.getStatus().getConditions();
        List<Condition> merged = replaceOwn(current, ownTypes, own);
        ObjectMapper json = new ObjectMapper();
        if (current != null && json.valueToTree(merged).equals(json.valueToTree(current))) {
            return Optional.empty();
        }
        ArrayNode patch = json.createArrayNode();
        patch.addObject().put("op", "test").put("path", "/metadata/resourceVersion")
                .put("value", vm.getMetadata().getResourceVersion());
        ObjectNode set = patch.addObject().put("op", "add");
        if (vm.getStatus() == null) {
            set.put("path", "/status").putObject("value").set("conditions", json.valueToTree(merged));
        } else {
            set.put("path", "/status/conditions").set("value", json.valueToTree(merged));
        }
        return Optional.of(patch.toString());
    }

    public static boolean isTrue(List<Condition> conditions, String type) {
        Condition c = find(conditions, type);
        return c != null && Condition.TRUE.equals(c.getStatus());
    }

    /**
     * Writes a writer's own condition entries with {@link #ownConditionsPatch}, as {@code fieldManager}. When the
     * VM changed between the read and the patch (409, or 422 from the failed resourceVersion test) it re-reads
     * and tries again, after a short random pause: the operator and the driver often write the same VM at the
     * same moment, and two writers retrying in lockstep would keep invalidating each other.
     *
     * @param read the VM as the caller last read it, or null to read it first
     * @return whether anything was written (false: already as wanted, or the VM is gone)
     */
    public static boolean writeOwn(Resource<VirtualMachine> vm, VirtualMachine read, Collection<String> ownTypes,
            List<Condition> own, String fieldManager) {
        VirtualMachine current = read != null ? read : vm.get();
        for (int attempt = 1;; attempt++) {
            if (current == null) {
                return false;
            }
            Optional<String> patch = ownConditionsPatch(current, ownTypes, own);
            if (patch.isEmpty()) {
                return false;
            }
            try {
                vm.subresource("status").patch(new PatchContext.Builder().withPatchType(PatchType.JSON)
                        .withFieldManager(fieldManager).build(), patch.get());
                return true;
            } catch (KubernetesClientException e) {
                if ((e.getCode() != 409 && e.getCode() != 422) || attempt >= WRITE_ATTEMPTS) {
                    throw e;
                }
            }
            try {
                Thread.sleep(ThreadLocalRandom.current().nextLong(5, 40) * attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            current = vm.get();
        }
    }
}
