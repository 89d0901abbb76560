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
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectReference;
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
import org.jboss.logging.Logger;

/** The driver's writes to the API: VM status (its own fields and conditions), the Node's KVM label, events. */
public final class KubeOps {
    private static final Logger LOG = Logger.getLogger(KubeOps.class);
    static final ObjectMapper JSON = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    /** Node label: whether QEMU with the VM pods' KVM options runs guest code on this node. */
    public static final String KVM_LABEL = "agentvisor.io/kvm";
    /** Node annotation: why (the probe's reason, for people). */
    public static final String KVM_REASON_ANNOTATION = "agentvisor.io/kvm-reason";
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
        for (String f : List.of("qemu", "agent", "guest")) {
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

    /** Replaces the driver's condition entries of {@code types} by {@code own} (see {@link #applyStatus}). */
    public void writeConditions(String namespace, String name, Set<String> types, List<Condition> own) {
        Conditions.writeOwn(client.resources(VirtualMachine.class).inNamespace(namespace).withName(name), null, types,
                own, Agentvisor.DRIVER_FIELD_MANAGER);
    }

    /** The VM as stored now, or null when it is gone. */
    public VirtualMachine get(String namespace, String name) {
        return client.resources(VirtualMachine.class).inNamespace(namespace).withName(name).get();
    }

    /** A Kubernetes Event on the VM; best effort (an event must never fail a reconcile). */
    public void event(VirtualMachine vm, String type, String reason, String message) {
        event(vm.getMetadata().getNamespace(), new ObjectReferenceBuilder().withApiVersion(Agentvisor.API_VERSION)
                .withKind("VirtualMachine").withName(vm.getMetadata().getName())
                .withNamespace(vm.getMetadata().getNamespace()).withUid(vm.getMetadata().getUid()).build(), type,
                reason, message);
    }

    /** A Kubernetes Event on this driver's Node (in namespace default, where node events live); best effort. */
    public void nodeEvent(Node n, String type, String reason, String message) {
        event("default", new ObjectReferenceBuilder().withApiVersion("v1").withKind("Node").withName(node)
                .withUid(n == null ? null : n.getMetadata().getUid()).build(), type, reason, message);
    }

    private void event(String namespace, ObjectReference about, String type, String reason, String message) {
        try {
            String ts = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
            client.v1().events().inNamespace(namespace).resource(new EventBuilder()
                    .withNewMetadata().withName(io.agentvisor.api.v1alpha1.EventNames.of(about.getName()))
                    .withNamespace(namespace).endMetadata().withInvolvedObject(about)
                    .withType(type).withReason(reason).withMessage(message).withFirstTimestamp(ts)
                    .withLastTimestamp(ts).withCount(1).withNewSource().withComponent("agentvisor-driver")
                    .withHost(node).endSource().build()).create();
        } catch (KubernetesClientException e) {
            LOG.debugf("event %s on %s %s not recorded: %s", reason, about.getKind(), about.getName(), e.getMessage());
        }
    }

    /**
     * Publishes the KVM probe's verdict on this driver's Node: label {@value #KVM_LABEL}=true|false and the reason
     * in annotation {@value #KVM_REASON_ANNOTATION} (a JSON merge patch: other labels are left alone).
     *
     * @return the Node as patched
     * @throws KubernetesClientException when the Node cannot be patched (missing, or no permission)
     */
    public Node publishKvm(boolean works, String reason) {
        ObjectNode patch = JSON.createObjectNode();
        ObjectNode meta = patch.putObject("metadata");
        meta.putObject("labels").put(KVM_LABEL, Boolean.toString(works));
        meta.putObject("annotations").put(KVM_REASON_ANNOTATION, reason.length() > 1024
                ? reason.substring(0, 1024) : reason);
        return client.nodes().withName(node).patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
    }
}
