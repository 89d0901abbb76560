package io.agentvisor.operator;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

import org.jboss.logging.Logger;

import io.agentvisor.api.v1alpha1.AgentPolicyStatus;
import io.agentvisor.api.v1alpha1.Agentvisor;
import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.Conditions;
import io.agentvisor.api.v1alpha1.GuestAgentPolicy;
import io.agentvisor.api.v1alpha1.NodeLeases;
import io.agentvisor.api.v1alpha1.Phase;
import io.agentvisor.api.v1alpha1.RunStrategy;
import io.agentvisor.api.v1alpha1.SpecValidation;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;

/**
 * One reconciler per VirtualMachine: resolves its guest agent policy, places it on a node, and writes only the
 * operator's status fields ({@code agentPolicy}, {@code nodeName}, conditions {@code SpecValid},
 * {@code PolicyApplied}, {@code Scheduled}, {@code NodeLost}) with server-side apply, and only when they changed.
 * Level-triggered: every reconcile recomputes everything from the informer caches.
 */
@ControllerConfiguration(name = VirtualMachineReconciler.NAME, fieldManager = Agentvisor.OPERATOR_FIELD_MANAGER,
        // labels (policy selectors) and driver status (phase) matter, not only spec generations
        generationAwareEventProcessing = false)
public class VirtualMachineReconciler implements Reconciler<VirtualMachine> {
    public static final String NAME = "virtualmachine";
    private static final Logger LOG = Logger.getLogger(VirtualMachineReconciler.class);
    static final List<String> OWN_CONDITIONS = List.of(ConditionTypes.SPEC_VALID, ConditionTypes.POLICY_APPLIED,
            ConditionTypes.SCHEDULED, ConditionTypes.NODE_LOST);

    private final OperatorConfig config;
    private final OperatorMetrics metrics;
    private final PlacementLedger ledger;
    private final Events events;
    private final Clock clock;
    private final String leaseNamespace;
    private final List<Path> allowedDirs;
    private InformerEventSource<GuestAgentPolicy, VirtualMachine> policies;
    private InformerEventSource<Lease, VirtualMachine> leases;

    public VirtualMachineReconciler(OperatorConfig config, PlacementLedger ledger, Events events,
            OperatorMetrics metrics, io.fabric8.kubernetes.client.KubernetesClient client) {
        this.config = config;
        this.metrics = metrics;
        this.ledger = ledger;
        this.events = events;
        this.clock = Clock.systemUTC();
        this.leaseNamespace = config.namespace().orElseGet(() -> Optional.ofNullable(client.getNamespace())
                .orElse("default"));
        this.allowedDirs = config.images().allowedDirs().stream().map(Path::of).toList();
        LOG.infof("node Leases in namespace %s; allowed image directories %s", leaseNamespace, allowedDirs);
    }

    @Override
    public List<EventSource<?, VirtualMachine>> prepareEventSources(EventSourceContext<VirtualMachine> context) {
        metrics.observeVirtualMachines(() -> context.getPrimaryCache().list());
        // any policy change may change the resolution of every VM of its namespace
        policies = new InformerEventSource<>(InformerEventSourceConfiguration
                .from(GuestAgentPolicy.class, VirtualMachine.class)
                .withName("policies")
                .withSecondaryToPrimaryMapper(p -> context.getPrimaryCache().list(p.getMetadata().getNamespace())
                        .map(ResourceID::fromResource).collect(Collectors.toSet()))
                .build(), context);
        // a Lease change concerns the VMs on that node and every VM still waiting for one
        leases = new InformerEventSource<>(InformerEventSourceConfiguration.from(Lease.class, VirtualMachine.class)
                .withName("leases")
                .withNamespaces(leaseNamespace)
                .withLabelSelector(NodeLeases.LEASE_LABEL + "=true")
                .withSecondaryToPrimaryMapper(l -> {
                    String node = NodeLeases.nodeName(l);
                    return context.getPrimaryCache().list(vm -> vm.getStatus() == null
                            || vm.getStatus().getNodeName() == null || node.equals(vm.getStatus().getNodeName()))
                            .map(ResourceID::fromResource).collect(Collectors.toSet());
                })
                .build(), context);
        return List.of(policies, leases);
    }

    @Override
    public UpdateControl<VirtualMachine> reconcile(VirtualMachine vm, Context<VirtualMachine> context) {
        Instant now = clock.instant();
        VirtualMachineStatus current = vm.getStatus() == null ? new VirtualMachineStatus() : vm.getStatus();
        Map<String, Condition> before = StatusDiff.byType(current.getConditions(), OWN_CONDITIONS);
        Long generation = vm.getMetadata().getGeneration();
        List<Condition> conditions = new ArrayList<>();

        // 1. what the schema cannot check
        List<String> problems = SpecValidation.validateVirtualMachine(vm.getSpec(), allowedDirs);
        boolean valid = problems.isEmpty();
        conditions.add(Conditions.of(ConditionTypes.SPEC_VALID, valid,
                valid ? ConditionTypes.REASON_VALID : ConditionTypes.REASON_INVALID_SPEC,
                valid ? "spec is valid" : String.join("; ", problems), generation,
                before.get(ConditionTypes.SPEC_VALID), now));

        // 2. guest agent policy (the configured product default was checked by OperatorStartup before the
        // controllers started: parsing it cannot fail here)
        PolicyResolver.Resolution r = PolicyResolver.resolve(vm,
                policies.list(vm.getMetadata().getNamespace(), p -> true).toList(),
                ProductDefaults.responseTimeout(config.defaultResponseTimeout()));
        AgentPolicyStatus agentPolicy;
        if (r.errors().isEmpty()) {
            agentPolicy = r.settings();
            conditions.add(Conditions.of(ConditionTypes.POLICY_APPLIED, true, ConditionTypes.REASON_RESOLVED,
                    describe(agentPolicy, r), generation, before.get(ConditionTypes.POLICY_APPLIED), now));
        } else {
            agentPolicy = current.getAgentPolicy(); // keep what was last applied
            conditions.add(Conditions.of(ConditionTypes.POLICY_APPLIED, false, ConditionTypes.REASON_INVALID_POLICY,
                    String.join("; ", r.errors()), generation, before.get(ConditionTypes.POLICY_APPLIED), now));
        }

        // 3. placement
        List<Lease> leaseList = leases.list(leaseNamespace, l -> true).toList();
        String node = current.getNodeName();
        RunStrategy strategy = vm.getSpec() == null || vm.getSpec().getRunStrategy() == null ? RunStrategy.Always
                : vm.getSpec().getRunStrategy();
        Duration reschedule = null;
        boolean newlyPlaced = false;
        if (node != null && !strategy.wantsNode() && released(vm)) {
            node = null; // halted and stopped: give the node's memory back
        }
        if (node != null) {
            conditions.add(Conditions.of(ConditionTypes.SCHEDULED, true, ConditionTypes.REASON_PLACED,
                    "placed on node " + node, generation, before.get(ConditionTypes.SCHEDULED), now));
            String placed = node;
            Optional<Lease> lease = leaseList.stream().filter(l -> NodeLeases.nodeName(l).equals(placed))
                    .findFirst();
            boolean fresh = lease.map(l -> NodeLeases.isFresh(l, now)).orElse(false);
            conditions.add(Conditions.of(ConditionTypes.NODE_LOST, !fresh,
                    fresh ? ConditionTypes.REASON_LEASE_FRESH : ConditionTypes.REASON_LEASE_EXPIRED,
                    fresh ? "node " + node + " is alive (its Lease is fresh)"
                            : "the Lease of node " + node + " " + (lease.isPresent() ? "expired" : "is gone")
                                    + "; the VM is not moved while its QEMU may still run",
                    generation, before.get(ConditionTypes.NODE_LOST), now));
            if (fresh) {
                // notice the expiry even if the Lease is never touched again
                reschedule = Duration.between(now, NodeLeases.expiry(lease.get()).get()).plusSeconds(1);
            }
        } else if (!strategy.wantsNode()) {
            conditions.add(Conditions.of(ConditionTypes.SCHEDULED, false, ConditionTypes.REASON_NOT_REQUESTED,
                    "runStrategy is Halted: the VM is not placed", generation,
                    before.get(ConditionTypes.SCHEDULED), now));
        } else if (!valid) {
            conditions.add(Conditions.of(ConditionTypes.SCHEDULED, false, ConditionTypes.REASON_INVALID_SPEC,
                    "not placed while the spec is invalid (see SpecValid)", generation,
                    before.get(ConditionTypes.SCHEDULED), now));
        } else {
            List<Placement.Node> nodes = leaseList.stream().map(l -> Placement.Node.of(l, now)).toList();
            Placement.Decision d = ledger.decide(vm, nodes, context.getPrimaryCache().list().toList());
            if (d.placed()) {
                node = d.node();
                newlyPlaced = true;
                conditions.add(Conditions.of(ConditionTypes.SCHEDULED, true, ConditionTypes.REASON_PLACED,
                        d.message(), generation, before.get(ConditionTypes.SCHEDULED), now));
                conditions.add(Conditions.of(ConditionTypes.NODE_LOST, false, ConditionTypes.REASON_LEASE_FRESH,
                        "node " + node + " is alive (its Lease is fresh)", generation,
                        before.get(ConditionTypes.NODE_LOST), now));
            } else {
                conditions.add(Conditions.of(ConditionTypes.SCHEDULED, false, ConditionTypes.REASON_UNSCHEDULABLE,
                        d.message(), generation, before.get(ConditionTypes.SCHEDULED), now));
                reschedule = config.placement().retryInterval();
            }
        }

        // 4. write what changed, nothing else
        Map<String, Condition> after = StatusDiff.byType(conditions, OWN_CONDITIONS);
        boolean fieldsChanged = !StatusDiff.sameJson(current.getAgentPolicy(), agentPolicy)
                || !Objects.equals(current.getNodeName(), node);
        boolean conditionsChanged = !StatusDiff.sameJson(before, after);
        try {
            if (fieldsChanged) {
                // the operator's fields by server-side apply; never its conditions (see Conditions#ownConditionsPatch)
                VirtualMachineStatus desired = new VirtualMachineStatus();
                desired.setAgentPolicy(agentPolicy);
                desired.setNodeName(node);
                VirtualMachine apply = new VirtualMachine();
                apply.setMetadata(new ObjectMetaBuilder().withName(vm.getMetadata().getName())
                        .withNamespace(vm.getMetadata().getNamespace()).build());
                apply.setStatus(desired);
                context.resourceOperations().serverSideApplyPrimaryStatus(apply);
                metrics.vmStatusWritten();
            }
            // the node's driver selects its VMs by this label: right after the placement, before the conditions
            syncNodeLabel(vm, node, context);
            // only the operator's entries, next to the driver's (Conditions#ownConditionsPatch says why not SSA)
            if (conditionsChanged && Conditions.writeOwn(context.getClient().resources(VirtualMachine.class)
                    .inNamespace(vm.getMetadata().getNamespace()).withName(vm.getMetadata().getName()), vm,
                    OWN_CONDITIONS, List.copyOf(after.values()), Agentvisor.OPERATOR_FIELD_MANAGER)) {
                metrics.vmStatusWritten();
            }
        } catch (RuntimeException e) {
            if (newlyPlaced) {
                ledger.release(vm);
            }
            throw e;
        }
        recordTransitions(vm, before, after);
        return reschedule == null ? UpdateControl.noUpdate() : UpdateControl.<VirtualMachine>noUpdate()
                .rescheduleAfter(reschedule);
    }

    /** A Halted VM leaves its node once the driver reports it stopped, or when no driver ever took it. */
    private static boolean released(VirtualMachine vm) {
        Phase phase = vm.getStatus() == null ? null : vm.getStatus().getPhase();
        if (phase == Phase.Stopped || phase == Phase.Failed) {
            return true;
        }
        List<String> finalizers = vm.getMetadata().getFinalizers();
        return phase == null && (finalizers == null || !finalizers.contains(Agentvisor.FINALIZER));
    }

    /** The label agentvisor.io/node mirrors status.nodeName (the driver selects its VMs by it). */
    private void syncNodeLabel(VirtualMachine vm, String node, Context<VirtualMachine> context) {
        Map<String, String> labels = vm.getMetadata().getLabels();
        String label = labels == null ? null : labels.get(Agentvisor.NODE_LABEL);
        if (java.util.Objects.equals(label, node)) {
            return;
        }
        String value = node == null ? "null" : "\"" + node + "\"";
        context.getClient().resources(VirtualMachine.class).inNamespace(vm.getMetadata().getNamespace())
                .withName(vm.getMetadata().getName())
                .patch(new PatchContext.Builder().withPatchType(PatchType.JSON_MERGE)
                        .withFieldManager(Agentvisor.OPERATOR_FIELD_MANAGER).build(),
                        "{\"metadata\":{\"labels\":{\"" + Agentvisor.NODE_LABEL + "\":" + value + "}}}");
        metrics.vmLabelWritten();
    }

    /**
     * Where the settings come from, not their values (those are in status.agentPolicy): a policy edit that only
     * changes values then costs each VM one status write, not two.
     */
    private static String describe(AgentPolicyStatus s, PolicyResolver.Resolution r) {
        StringBuilder b = new StringBuilder("responseTimeout from ").append(s.getSource());
        if (s.getPolicy() != null && !s.getPolicy().equals(s.getSource())) {
            b.append("; other settings from ").append(s.getPolicy());
        }
        if (!r.tied().isEmpty()) {
            b.append("; priority tie between ").append(r.tied().stream().map(p -> p.getMetadata().getName()).toList())
                    .append(" broken by name");
        }
        return b.toString();
    }

    private void recordTransitions(VirtualMachine vm, Map<String, Condition> before, Map<String, Condition> after) {
        Condition scheduled = after.get(ConditionTypes.SCHEDULED);
        Condition prev = before.get(ConditionTypes.SCHEDULED);
        if (StatusDiff.transitioned(prev, scheduled)) {
            if (Condition.TRUE.equals(scheduled.getStatus())) {
                events.normal(vm, "Scheduled", scheduled.getMessage());
            } else if (ConditionTypes.REASON_UNSCHEDULABLE.equals(scheduled.getReason())) {
                events.warning(vm, "Unschedulable", scheduled.getMessage());
            }
        }
        Condition lost = after.get(ConditionTypes.NODE_LOST);
        if (lost != null && StatusDiff.transitioned(before.get(ConditionTypes.NODE_LOST), lost)) {
            if (Condition.TRUE.equals(lost.getStatus())) {
                events.warning(vm, "NodeLost", lost.getMessage());
            } else if (before.get(ConditionTypes.NODE_LOST) != null) {
                events.normal(vm, "NodeRecovered", lost.getMessage());
            }
        }
        Condition spec = after.get(ConditionTypes.SPEC_VALID);
        if (Condition.FALSE.equals(spec.getStatus()) && (StatusDiff.transitioned(before.get(ConditionTypes.SPEC_VALID),
                spec) || !spec.getMessage().equals(before.get(ConditionTypes.SPEC_VALID).getMessage()))) {
            events.warning(vm, "InvalidSpec", spec.getMessage());
        }
        Condition policy = after.get(ConditionTypes.POLICY_APPLIED);
        Condition prevPolicy = before.get(ConditionTypes.POLICY_APPLIED);
        if (Condition.FALSE.equals(policy.getStatus()) && StatusDiff.transitioned(prevPolicy, policy)) {
            events.warning(vm, "InvalidPolicy", policy.getMessage());
        } else if (Condition.TRUE.equals(policy.getStatus()) && prevPolicy != null
                && !policy.getMessage().equals(prevPolicy.getMessage())) {
            events.normal(vm, "PolicyChanged", policy.getMessage());
        }
    }
}
