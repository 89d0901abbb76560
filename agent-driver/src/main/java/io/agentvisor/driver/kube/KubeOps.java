package io.agentvisor.driver.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentvisor.api.v1alpha1.Agentvisor;
import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.Conditions;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jboss.logging.Logger;

/** The driver's writes to the API: status by server-side apply, the finalizer, events. */
public final class KubeOps {
    private static final Logger LOG = Logger.getLogger(KubeOps.class);
    static final ObjectMapper JSON = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    static final Set<String> DRIVER_CONDITIONS = Set.of(ConditionTypes.RUNNING, ConditionTypes.AGENT_CONNECTED,
            ConditionTypes.AGENT_RESPONSIVE, ConditionTypes.READY);
    private static final ResourceDefinitionContext VM = ResourceDefinitionContext.fromResourceType(VirtualMachine.class);

    private final KubernetesClient client;
    private final String node;

    public KubeOps(KubernetesClient client, String node) {
        this.client = client;
        this.node = node;
    }

    /** The driver-owned fields of a status as a JSON tree (conditions: only the driver's, in a fixed order). */
    static JsonNode owned(VirtualMachineStatus s) {
        ObjectNode n = JSON.createObjectNode();
        if (s == null) {
            return n;
        }
        JsonNode all = JSON.valueToTree(s);
        for (String f : List.of("phase", "qemu", "agent", "guest")) {
            if (all.has(f) && !all.get(f).isNull()) {
                n.set(f, all.get(f));
            }
        }
        var conds = n.putArray("conditions");
        if (s.getConditions() != null) {
            s.getConditions().stream().filter(c -> DRIVER_CONDITIONS.contains(c.getType()))
                    .sorted(java.util.Comparator.comparing(Condition::getType))
                    .forEach(c -> conds.add(JSON.valueToTree(c)));
        }
        return n;
    }

    /**
     * Writes the driver's status: its fields by server-side apply with the driver's field manager, its conditions
     * by a resourceVersion-guarded JSON patch that leaves the operator's entries alone (see
     * {@link Conditions#ownConditionsPatch} for why conditions cannot be applied on a 1.20 apiserver).
     */
    public void applyStatus(String namespace, String name, VirtualMachineStatus status) {
        ObjectNode fields = (ObjectNode) owned(status);
        fields.remove("conditions");
        GenericKubernetesResource r = new GenericKubernetesResource();
        r.setApiVersion(Agentvisor.API_VERSION);
        r.setKind("VirtualMachine");
        r.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).withNamespace(namespace)
                .build());
        r.setAdditionalProperty("status", JSON.convertValue(fields, Map.class));
        client.genericKubernetesResources(VM).inNamespace(namespace).withName(name).subresource("status")
                .patch(new PatchContext.Builder().withPatchType(PatchType.SERVER_SIDE_APPLY)
                        .withFieldManager(Agentvisor.DRIVER_FIELD_MANAGER).withForce(true).build(), r);
        List<Condition> own = status.getConditions() == null ? List.of() : status.getConditions().stream()
                .filter(c -> DRIVER_CONDITIONS.contains(c.getType())).toList();
        Conditions.writeOwn(client.resources(VirtualMachine.class).inNamespace(namespace).withName(name), null,
                DRIVER_CONDITIONS, own, Agentvisor.DRIVER_FIELD_MANAGER);
    }

    /**
     * Adds the finalizer with a JSON patch guarded by the resourceVersion (a plain update, not an apply: on a 1.20
     * apiserver an apply to the main resource and one to /status under the same manager would share one
     * managedFields entry and each would drop the other's fields).
     */
    public void addFinalizer(VirtualMachine vm) {
        List<String> f = vm.getMetadata().getFinalizers();
        if (f != null && f.contains(Agentvisor.FINALIZER)) {
            return;
        }
        String rv = vm.getMetadata().getResourceVersion();
        String patch = f == null || f.isEmpty()
                ? "[{\"op\":\"test\",\"path\":\"/metadata/resourceVersion\",\"value\":\"" + rv + "\"},"
                        + "{\"op\":\"add\",\"path\":\"/metadata/finalizers\",\"value\":[\"" + Agentvisor.FINALIZER + "\"]}]"
                : "[{\"op\":\"test\",\"path\":\"/metadata/resourceVersion\",\"value\":\"" + rv + "\"},"
                        + "{\"op\":\"add\",\"path\":\"/metadata/finalizers/-\",\"value\":\"" + Agentvisor.FINALIZER + "\"}]";
        jsonPatch(vm, patch);
    }

    public void removeFinalizer(VirtualMachine vm) {
        List<String> f = vm.getMetadata().getFinalizers();
        int i = f == null ? -1 : f.indexOf(Agentvisor.FINALIZER);
        if (i < 0) {
            return;
        }
        jsonPatch(vm, "[{\"op\":\"test\",\"path\":\"/metadata/finalizers/" + i + "\",\"value\":\"" + Agentvisor.FINALIZER
                + "\"},{\"op\":\"remove\",\"path\":\"/metadata/finalizers/" + i + "\"}]");
    }

    private void jsonPatch(VirtualMachine vm, String patch) {
        client.resources(VirtualMachine.class).inNamespace(vm.getMetadata().getNamespace())
                .withName(vm.getMetadata().getName())
                .patch(new PatchContext.Builder().withPatchType(PatchType.JSON)
                        .withFieldManager(Agentvisor.DRIVER_FIELD_MANAGER).build(), patch);
    }

    /** The VM as stored now, or null when it is gone. */
    public VirtualMachine get(String namespace, String name) {
        return client.resources(VirtualMachine.class).inNamespace(namespace).withName(name).get();
    }

    /** A Kubernetes Event on the VM; best effort (an event must never fail a reconcile). */
    public void event(VirtualMachine vm, String type, String reason, String message) {
        try {
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            String ts = now.toString();
            client.v1().events().inNamespace(vm.getMetadata().getNamespace()).resource(new EventBuilder()
                    .withNewMetadata().withName(vm.getMetadata().getName() + "." + UUID.randomUUID().toString()
                            .substring(0, 8)).withNamespace(vm.getMetadata().getNamespace()).endMetadata()
                    .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion(Agentvisor.API_VERSION)
                            .withKind("VirtualMachine").withName(vm.getMetadata().getName())
                            .withNamespace(vm.getMetadata().getNamespace()).withUid(vm.getMetadata().getUid()).build())
                    .withType(type).withReason(reason).withMessage(message).withFirstTimestamp(ts)
                    .withLastTimestamp(ts).withCount(1).withNewSource().withComponent("agentvisor-driver")
                    .withHost(node).endSource().build()).create();
        } catch (KubernetesClientException e) {
            LOG.debugf("event %s on %s not recorded: %s", reason, vm.getMetadata().getName(), e.getMessage());
        }
    }
}
