package io.agentvisor.operator;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

import io.agentvisor.api.v1alpha1.Agentvisor;
import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.GuestAgentPolicy;
import io.agentvisor.api.v1alpha1.GuestAgentPolicyStatus;
import io.agentvisor.api.v1alpha1.SpecValidation;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.conditions.ConditionSet;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
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
 * One reconciler per GuestAgentPolicy: counts the VMs it governs and flags priority ties ({@code Conflict}) and
 * specs the schema could not reject ({@code Accepted}). Writes status only when it changed.
 */
@ControllerConfiguration(name = GuestAgentPolicyReconciler.NAME, fieldManager = Agentvisor.OPERATOR_FIELD_MANAGER,
        informer = @Informer(itemStore = WithoutManagedFields.class))
public class GuestAgentPolicyReconciler implements Reconciler<GuestAgentPolicy> {
    public static final String NAME = "guestagentpolicy";
    static final List<String> OWN_CONDITIONS = List.of(ConditionTypes.ACCEPTED, ConditionTypes.CONFLICT);
    private static final int MAX_NAMES = 5;

    /** Policy uid -> the read problem last reported for it. */
    private final java.util.Map<String, String> unreadableReported = new java.util.concurrent.ConcurrentHashMap<>();
    private final Events events;
    private final OperatorMetrics metrics;
    private final Clock clock = Clock.systemUTC();
    private InformerEventSource<VirtualMachine, GuestAgentPolicy> vms;

    public GuestAgentPolicyReconciler(Events events, OperatorMetrics metrics) {
        this.events = events;
        this.metrics = metrics;
    }

    @Override
    public List<EventSource<?, GuestAgentPolicy>> prepareEventSources(EventSourceContext<GuestAgentPolicy> context) {
        metrics.observePolicies(() -> context.getPrimaryCache().list());
        // a VM created, deleted or relabelled may change the count and the ties of every policy of its namespace
        vms = new InformerEventSource<>(InformerEventSourceConfiguration
                .from(VirtualMachine.class, GuestAgentPolicy.class)
                .withName("virtualmachines")
                .withItemStore(new WithoutManagedFields<>())
                .withSecondaryToPrimaryMapper(vm -> context.getPrimaryCache()
                        .list(vm.getMetadata().getNamespace()).map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
                .withOnUpdateFilter((a, b) -> !Objects.equals(a.getMetadata().getLabels(),
                        b.getMetadata().getLabels()))
                .build(), context);
        return List.of(vms);
    }

    @Override
    public UpdateControl<GuestAgentPolicy> reconcile(GuestAgentPolicy policy, Context<GuestAgentPolicy> context) {
        Instant now = clock.instant();
        String ns = policy.getMetadata().getNamespace();
        String name = policy.getMetadata().getName();
        // the copy handed to reconcile lost what TolerantReader noted: the cache has it
        GuestAgentPolicy cached = context.getPrimaryCache().get(ResourceID.fromResource(policy)).orElse(policy);
        if (cached.unreadable() != null) {
            // the apiserver validates the whole object on a status write: only the event and the log can say it;
            // the VMs of the namespace keep the settings last applied (PolicyResolver)
            if (!cached.unreadable().equals(unreadableReported.put(policy.getMetadata().getUid(),
                    cached.unreadable()))) {
                events.warning(policy, "Unreadable", "cannot read this GuestAgentPolicy, the VMs of namespace " + ns
                        + " keep the settings last applied: " + cached.unreadable());
            }
            return UpdateControl.noUpdate();
        }
        unreadableReported.remove(policy.getMetadata().getUid());
        List<GuestAgentPolicy> all = context.getPrimaryCache().list(ns).toList();
        List<VirtualMachine> vmList = vms.list(ns, vm -> true).toList();
        PolicyResolver.PolicyReport report = PolicyResolver.report(vmList, all).get(name);
        if (report == null) {
            report = new PolicyResolver.PolicyReport(List.of(), List.of(), List.of());
        }
        GuestAgentPolicyStatus current = policy.getStatus() == null ? new GuestAgentPolicyStatus()
                : policy.getStatus();
        Long generation = policy.getMetadata().getGeneration();
        ConditionSet conditions = new ConditionSet(OWN_CONDITIONS, current.getConditions(), generation, now);

        List<String> problems = SpecValidation.validatePolicy(policy.getSpec());
        conditions.set(ConditionTypes.ACCEPTED, problems.isEmpty(),
                problems.isEmpty() ? ConditionTypes.REASON_VALID : ConditionTypes.REASON_INVALID_SPEC,
                problems.isEmpty() ? "policy is valid"
                        : "not applied to any VirtualMachine: " + String.join("; ", problems));
        if (report.tiedWith().isEmpty()) {
            conditions.set(ConditionTypes.CONFLICT, false, ConditionTypes.REASON_NO_TIE,
                    "no other matching policy has the same priority");
        } else {
            List<String> involved = new ArrayList<>(report.tiedWith());
            involved.add(name);
            String winner = involved.stream().sorted().findFirst().get();
            conditions.set(ConditionTypes.CONFLICT, true, ConditionTypes.REASON_PRIORITY_TIE,
                    "priority " + PolicyResolver.priority(policy) + " ties with " + report.tiedWith() + " over "
                            + names(report.tiedOver()) + "; broken by name: " + winner + " wins");
        }

        // the operator is this status's only writer: all of it by server-side apply, only when it changed
        if (conditions.changed() || !Objects.equals(current.getVirtualMachines(), report.governed().size())
                || !Objects.equals(current.getObservedGeneration(), generation)) {
            GuestAgentPolicyStatus desired = new GuestAgentPolicyStatus();
            desired.setVirtualMachines(report.governed().size());
            desired.setObservedGeneration(generation);
            desired.setConditions(conditions.list());
            GuestAgentPolicy apply = new GuestAgentPolicy();
            apply.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
            apply.setStatus(desired);
            context.resourceOperations().serverSideApplyPrimaryStatus(apply);
            metrics.policyStatusWritten();
        }

        Condition conflict = conditions.get(ConditionTypes.CONFLICT);
        if (Condition.TRUE.equals(conflict.getStatus()) && conditions.transitioned(ConditionTypes.CONFLICT)) {
            events.warning(policy, "PriorityTie", conflict.getMessage());
        }
        Condition accepted = conditions.get(ConditionTypes.ACCEPTED);
        if (Condition.FALSE.equals(accepted.getStatus()) && conditions.transitioned(ConditionTypes.ACCEPTED)) {
            events.warning(policy, "InvalidSpec", accepted.getMessage());
        }
        return UpdateControl.noUpdate();
    }

    private static String names(List<String> vms) {
        String shown = vms.stream().limit(MAX_NAMES).collect(Collectors.joining(", "));
        return vms.size() + " VirtualMachine" + (vms.size() == 1 ? "" : "s") + " (" + shown
                + (vms.size() > MAX_NAMES ? ", ..." : "") + ")";
    }
}
