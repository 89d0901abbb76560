package io.agentvisor.conditions;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes one writer's condition entries of a VirtualMachine next to the other writer's.
 * <p>
 * Why not server-side apply: kube-apiserver 1.20 falls back to treating every list of a CRD as atomic when the
 * schema has an int-or-string field (ours do: responseTimeout, memory), so two appliers of
 * {@code status.conditions} would keep deleting each other's entries. A JSON patch guarded by the resourceVersion
 * replaces only the writer's own entries and fails (HTTP 422) instead of losing the other writer's update; it is
 * then re-read and retried.
 */
public final class OwnConditions {
    private static final int WRITE_ATTEMPTS = 6;
    private static final ObjectMapper JSON = new ObjectMapper();

    private OwnConditions() {
    }

    /**
     * {@code current} with the entries whose type is in {@code ownTypes} replaced by {@code own}: the other
     * writer's entries are kept as they are and where they are; the writer's own entries follow, sorted by type.
     */
    static List<Condition> replaceOwn(List<Condition> current, Collection<String> ownTypes, List<Condition> own) {
        List<Condition> merged = new ArrayList<>();
        if (current != null) {
            current.stream().filter(c -> !ownTypes.contains(c.getType())).forEach(merged::add);
        }
        own.stream().sorted(java.util.Comparator.comparing(Condition::getType)).forEach(merged::add);
        return merged;
    }

    /**
     * The JSON patch (RFC 6902) that gives {@code vm} the conditions {@code own} in place of its stored entries of
     * the types {@code ownTypes}, guarded by its resourceVersion; empty when they already are so.
     */
    public static Optional<String> patch(VirtualMachine vm, Collection<String> ownTypes, List<Condition> own) {
        List<Condition> current = vm.getStatus() == null ? null : vm.getStatus().getConditions();
        List<Condition> merged = replaceOwn(current, ownTypes, own);
        if (current != null && JSON.valueToTree(merged).equals(JSON.valueToTree(current))) {
            return Optional.empty();
        }
        ArrayNode patch = JSON.createArrayNode();
        patch.addObject().put("op", "test").put("path", "/metadata/resourceVersion")
                .put("value", vm.getMetadata().getResourceVersion());
        ObjectNode set = patch.addObject().put("op", "add");
        if (vm.getStatus() == null) {
            set.put("path", "/status").putObject("value").set("conditions", JSON.valueToTree(merged));
        } else {
            set.put("path", "/status/conditions").set("value", JSON.valueToTree(merged));
        }
        return Optional.of(patch.toString());
    }

    /**
     * Writes {@code own} (e.g. a {@link ConditionSet}'s types and list) with {@link #patch}, as {@code fieldManager}. When the VM changed between the read and the
     * patch (409, or 422 from the failed resourceVersion test) it re-reads and tries again, after a short random
     * pause: the operator and the driver often write the same VM at the same moment, and two writers retrying in
     * lockstep would keep invalidating each other.
     *
     * @param read the VM as the caller last read it, or null to read it first
     * @return whether anything was written (false: already as wanted, or the VM is gone)
     */
    public static boolean write(Resource<VirtualMachine> vm, VirtualMachine read, Collection<String> ownTypes,
            List<Condition> own, String fieldManager) {
        VirtualMachine current = read != null ? read : vm.get();
        for (int attempt = 1;; attempt++) {
            if (current == null) {
                return false;
            }
            Optional<String> patch = patch(current, ownTypes, own);
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
