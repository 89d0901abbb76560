package io.agentvisor.operator;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import io.agentvisor.agent.ResponseTimeout;
import io.agentvisor.api.v1alpha1.AgentPolicyStatus;
import io.agentvisor.api.v1alpha1.Agentvisor;
import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.GuestAgentPolicy;
import io.agentvisor.api.v1alpha1.Phase;
import io.agentvisor.api.v1alpha1.RunStrategy;
import io.agentvisor.api.v1alpha1.SpecValidation;
import io.agentvisor.api.v1alpha1.Termination;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.agentvisor.api.v1alpha1.VmPods;
import io.agentvisor.conditions.ConditionSet;
import io.agentvisor.conditions.OwnConditions;
import io.agentvisor.operator.pod.PodSettings;
import io.agentvisor.operator.pod.VmPodBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
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
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;

/**
 * One reconciler per VirtualMachine: resolves its guest agent policy, runs it as its own pod (creates the pod when
 * the VM should run, deletes it when it should not; kube-scheduler places it, the kubelet restarts QEMU per the pod's
 * restartPolicy) and writes only the operator's status: {@code agentPolicy}, and from the pod {@code phase},
 * {@code nodeName}, {@code podName}, {@code restartCount}, {@code lastTermination}; conditions {@code SpecValid},
 * {@code PolicyApplied}, {@code Scheduled} (with the scheduler's own reason and message). Only when they changed.
 * Level-triggered: every reconcile recomputes everything from the informer caches (VMs, policies, and the VM pods,
 * selected by label, mapped to their VM by the controller ownerReference).
 */
@ControllerConfiguration(name = VirtualMachineReconciler.NAME, fieldManager = Agentvisor.OPERATOR_FIELD_MANAGER,
        // labels (policy selectors) and annotations (Manual requests) matter, not only spec generations
        generationAwareEventProcessing = false,
        informer = @Informer(itemStore = WithoutManagedFields.class))
public class VirtualMachineReconciler implements Reconciler<VirtualMachine> {
    public static final String NAME = "virtualmachine";
    private static final Logger LOG = Logger.getLogger(VirtualMachineReconciler.class);
    private static final KubernetesSerialization JSON = new KubernetesSerialization();
    static final List<String> OWN_CONDITIONS = List.of(ConditionTypes.SPEC_VALID, ConditionTypes.POLICY_APPLIED,
            ConditionTypes.SCHEDULED, ConditionTypes.RESTART_REQUIRED);
    /** A pod that ended is replaced (Always, RerunOnFailure after a failure) no sooner than this after it ended. */
    static final Duration REPLACE_BACKOFF = Duration.ofSeconds(10);
    /** How soon a pod the apiserver refused (403/400) is tried again. */
    static final Duration REFUSED_RETRY = Duration.ofSeconds(30);
    static final String REASON_UNREADABLE = "Unreadable";

    private final OperatorConfig config;
    private final OperatorMetrics metrics;
    private final Events events;
    private final Clock clock;
    private final List<Path> allowedDirs;
    private final PodSettings podSettings;
    private final ResponseTimeout defaultResponseTimeout;
    /** VM uid -> the read problem last reported for it (unreadable VMs only: a handful at most). */
    private final Map<String, String> unreadableReported = new java.util.concurrent.ConcurrentHashMap<>();
    private InformerEventSource<GuestAgentPolicy, VirtualMachine> policies;
    private InformerEventSource<Pod, VirtualMachine> pods;

    public VirtualMachineReconciler(OperatorConfig config, Events events, OperatorMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        this.events = events;
        this.clock = Clock.systemUTC();
        this.allowedDirs = config.images().allowedDirs().stream().map(Path::of).toList();
        this.podSettings = config.podSettings();
        // checked by OperatorStartup before the controllers start: parsing cannot fail here
        this.defaultResponseTimeout = config.responseTimeout();
        LOG.infof("VM pods: image %s, memory overhead %d MiB, tb-size %d MiB; allowed node image directories %s",
                podSettings.launcherImage(), podSettings.memoryOverheadMiB(), podSettings.tbSizeMiB(), allowedDirs);
    }

    @Override
    public List<EventSource<?, VirtualMachine>> prepareEventSources(EventSourceContext<VirtualMachine> context) {
        metrics.observeVirtualMachines(() -> context.getPrimaryCache().list());
        // any policy change may change the resolution of every VM of its namespace
        policies = new InformerEventSource<>(InformerEventSourceConfiguration
                .from(GuestAgentPolicy.class, VirtualMachine.class)
                .withName("policies")
                .withItemStore(new WithoutManagedFields<>())
                .withSecondaryToPrimaryMapper(p -> context.getPrimaryCache().list(p.getMetadata().getNamespace())
                        .map(ResourceID::fromResource).collect(Collectors.toSet()))
                .build(), context);
        // the VM pods only (label-selected, so the cache holds no other pod), each mapped to its owning VM
        pods = new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, VirtualMachine.class)
                .withName("pods")
                .withLabelSelector(VmPods.SELECTOR)
                .withItemStore(new WithoutManagedFields<>())
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(VirtualMachine.class))
                .build(), context);
        return List.of(policies, pods);
    }

    @Override
    public UpdateControl<VirtualMachine> reconcile(VirtualMachine vm, Context<VirtualMachine> context) {
        Instant now = clock.instant();
        String ns = vm.getMetadata().getNamespace();
        // the reconciler gets a copy made by serialization, which drops what TolerantReader noted: the cache has it
        VirtualMachine cached = context.getPrimaryCache().get(ResourceID.fromResource(vm)).orElse(vm);
        if (cached.unreadable() != null) {
            unreadable(vm, cached.unreadable(), context, now);
            return UpdateControl.noUpdate();
        }
        unreadableReported.remove(vm.getMetadata().getUid());
        VirtualMachineStatus current = vm.getStatus() == null ? new VirtualMachineStatus() : vm.getStatus();
        ConditionSet conditions = new ConditionSet(OWN_CONDITIONS, current.getConditions(),
                vm.getMetadata().getGeneration(), now);

        // 1. what the schema cannot check
        List<String> problems = new ArrayList<>(SpecValidation.validateVirtualMachine(vm.getSpec(), allowedDirs));
        if (problems.isEmpty()) {
            try {
                VmPodBuilder.vmSpec(vm); // what the pod builder refuses, e.g. a uid or name it cannot use
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        boolean valid = problems.isEmpty();

        // 2. guest agent policy
        PolicyResolver.Resolution r = PolicyResolver.resolve(vm, policies.list(ns, p -> true).toList(),
                defaultResponseTimeout);
        AgentPolicyStatus agentPolicy;
        if (r.errors().isEmpty()) {
            agentPolicy = r.settings();
            conditions.set(ConditionTypes.POLICY_APPLIED, true, ConditionTypes.REASON_RESOLVED,
                    describe(agentPolicy, r));
        } else {
            agentPolicy = current.getAgentPolicy(); // keep what was last applied
            conditions.set(ConditionTypes.POLICY_APPLIED, false, ConditionTypes.REASON_INVALID_POLICY,
                    String.join("; ", r.errors()));
        }

        // 3. the pod: create it when the VM should run, delete it when it should not
        RunStrategy strategy = vm.getSpec() == null || vm.getSpec().getRunStrategy() == null ? RunStrategy.Always
                : vm.getSpec().getRunStrategy();
        String podName = VmPods.podName(vm.getMetadata().getName());
        Pod pod = pods.get(new ResourceID(podName, ns)).orElse(null);
        Duration reschedule = null;
        String foreign = null;
        String refused = null;
        if (pod != null && !ownedBy(pod, vm)) {
            foreign = foreignMessage(podName, vm);
            pod = null;
        }
        Desire desire = desire(vm, strategy, pod, current);
        if (foreign == null) {
            if (pod != null && !desire.run() && pod.getMetadata().getDeletionTimestamp() == null) {
                deletePod(vm, context, pod, desire.why());
            } else if (pod != null && desire.run() && replaceable(pod, strategy)) {
                Duration wait = untilReplaceable(pod, now);
                if (wait.isZero()) {
                    deletePod(vm, context, pod, "pod " + podName + " ended (" + pod.getStatus().getPhase()
                            + "): replacing it (runStrategy " + strategy + ")");
                } else {
                    reschedule = wait;
                }
            } else if (pod == null && desire.run() && valid) {
                try {
                    pod = createPod(vm, context, problems);
                    if (pod != null) {
                        // into the cache at once: the next reconcile must not take the pod for gone (Once)
                        pods.handleRecentResourceCreate(ResourceID.fromResource(vm), pod);
                    }
                } catch (ForeignPod e) {
                    foreign = e.getMessage();
                } catch (KubernetesClientException e) {
                    if (e.getCode() != 403 && e.getCode() != 400) {
                        throw e;
                    }
                    // e.g. RBAC, a quota, or a namespace without its default ServiceAccount: retried, shown meanwhile
                    refused = "pod " + podName + " was refused (HTTP " + e.getCode() + "): " + VmPodStatus.bounded(
                            e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
                                    : e.getMessage(), VmPodStatus.MAX_MESSAGE);
                    reschedule = REFUSED_RETRY;
                }
                valid = problems.isEmpty();
            }
        }
        conditions.set(ConditionTypes.SPEC_VALID, valid,
                valid ? ConditionTypes.REASON_VALID : ConditionTypes.REASON_INVALID_SPEC,
                valid ? "spec is valid" : String.join("; ", problems));

        // 4. status from the pod
        VirtualMachineStatus desired = new VirtualMachineStatus();
        desired.setAgentPolicy(agentPolicy);
        if (foreign != null) {
            desired.setPhase(Phase.Failed);
            reschedule = REFUSED_RETRY; // a pod without our label is not watched: look again
            conditions.set(ConditionTypes.SCHEDULED, false, "PodConflict", foreign);
        } else if (pod == null) {
            desired.setPhase(!desire.run() ? Phase.Stopped : valid ? Phase.Pending : Phase.Failed);
            desired.setPodName(strategy == RunStrategy.Once ? current.getPodName() : null); // Once: it has run
            if (!desire.run()) {
                conditions.set(ConditionTypes.SCHEDULED, false, ConditionTypes.REASON_NOT_REQUESTED, desire.why());
            } else if (refused != null) {
                conditions.set(ConditionTypes.SCHEDULED, false, "PodRefused", refused);
            } else if (!valid) {
                conditions.set(ConditionTypes.SCHEDULED, false, ConditionTypes.REASON_INVALID_SPEC,
                        "no pod while the spec is invalid (see SpecValid)");
            } else {
                conditions.set(ConditionTypes.SCHEDULED, false, ConditionTypes.REASON_POD_PENDING,
                        "creating pod " + podName);
            }
        } else {
            desired.setPhase(VmPodStatus.phase(pod));
            desired.setPodName(pod.getMetadata().getName());
            desired.setNodeName(pod.getSpec() == null ? null : pod.getSpec().getNodeName());
            desired.setRestartCount(VmPodStatus.restartCount(pod));
            desired.setLastTermination(VmPodStatus.lastTermination(pod));
            scheduled(conditions, pod);
            String outdated = outdated(vm, pod, desire, valid);
            if (outdated != null) {
                conditions.set(ConditionTypes.RESTART_REQUIRED, true, "PodOutdated", outdated);
            }
        }

        // 5. write what changed, nothing else
        boolean fieldsChanged = !sameJson(current.getAgentPolicy(), desired.getAgentPolicy())
                || current.getPhase() != desired.getPhase()
                || !Objects.equals(current.getNodeName(), desired.getNodeName())
                || !Objects.equals(current.getPodName(), desired.getPodName())
                || !Objects.equals(current.getRestartCount(), desired.getRestartCount())
                || !sameJson(current.getLastTermination(), desired.getLastTermination());
        if (fieldsChanged) {
            // the operator's fields by server-side apply; never its conditions (see OwnConditions)
            VirtualMachine apply = new VirtualMachine();
            apply.setMetadata(new ObjectMetaBuilder().withName(vm.getMetadata().getName()).withNamespace(ns).build());
            apply.setStatus(desired);
            context.resourceOperations().serverSideApplyPrimaryStatus(apply);
            metrics.vmStatusWritten();
        }
        // only the operator's entries, next to the driver's (OwnConditions says why not server-side apply)
        if (conditions.changed() && writeConditions(vm, vm, conditions, context)) {
            metrics.vmStatusWritten();
        }
        recordTransitions(vm, conditions);
        recordTermination(vm, current.getLastTermination(), desired.getLastTermination());
        return reschedule == null ? UpdateControl.noUpdate() : UpdateControl.<VirtualMachine>noUpdate()
                .rescheduleAfter(reschedule);
    }

    /** Why the running pod differs from the one the VM would get now, or null. */
    private String outdated(VirtualMachine vm, Pod pod, Desire desire, boolean valid) {
        if (!desire.run() || !valid || pod.getMetadata().getDeletionTimestamp() != null) {
            return null;
        }
        String has = pod.getMetadata().getAnnotations() == null ? null
                : pod.getMetadata().getAnnotations().get(VmPods.POD_SPEC_HASH);
        String wants;
        try {
            wants = VmPodBuilder.build(vm, podSettings).getMetadata().getAnnotations().get(VmPods.POD_SPEC_HASH);
        } catch (IllegalArgumentException | ArithmeticException e) {
            return null;
        }
        return wants.equals(has) ? null : "pod " + pod.getMetadata().getName() + " was created from another spec or "
                + "other operator settings; the change applies when the VM is stopped and started again";
    }

    /**
     * A VM stored before the schema refused one of its fields, which the Java types cannot hold (see
     * {@code TolerantReader}): its desire is unknown, so its pod is left exactly as it is (never created, never
     * deleted); the field is named in a Warning event and the log (once per problem), and in SpecValid when the
     * apiserver takes the write (it validates the whole object, so it refuses status writes while the stored
     * object breaks the schema).
     */
    private void unreadable(VirtualMachine vm, String problem, Context<VirtualMachine> context, Instant now) {
        String uid = vm.getMetadata().getUid();
        if (problem.equals(unreadableReported.put(uid, problem))) {
            return;
        }
        events.warning(vm, "Unreadable", "cannot read this VirtualMachine, its pod is left as it is: " + problem);
        // SpecValid alone: the operator's other conditions stay as they were
        ConditionSet specValid = new ConditionSet(List.of(ConditionTypes.SPEC_VALID),
                vm.getStatus() == null ? null : vm.getStatus().getConditions(), vm.getMetadata().getGeneration(), now)
                .set(ConditionTypes.SPEC_VALID, false, REASON_UNREADABLE, problem);
        try {
            writeConditions(vm, null, specValid, context);
        } catch (KubernetesClientException e) {
            LOG.debugf("SpecValid of unreadable VM %s/%s not written (HTTP %d): the event says it",
                    vm.getMetadata().getNamespace(), vm.getMetadata().getName(), e.getCode());
        }
    }

    /** Writes the operator's entries of {@code conditions} ({@code read}: the VM as last read, or null). */
    private static boolean writeConditions(VirtualMachine vm, VirtualMachine read, ConditionSet conditions,
            Context<VirtualMachine> context) {
        return OwnConditions.write(context.getClient().resources(VirtualMachine.class)
                .inNamespace(vm.getMetadata().getNamespace()).withName(vm.getMetadata().getName()), read,
                conditions.types(), conditions.list(), Agentvisor.OPERATOR_FIELD_MANAGER);
    }

    /** Whether the VM should have a running pod now, and why not. */
    record Desire(boolean run, String why) {
    }

    static Desire desire(VirtualMachine vm, RunStrategy strategy, Pod pod, VirtualMachineStatus status) {
        if (vm.getMetadata().getDeletionTimestamp() != null) {
            // e.g. foreground deletion: the garbage collector deletes the pod first, which must not come back
            return new Desire(false, "the VM is being deleted");
        }
        switch (strategy) {
            case Halted:
                return new Desire(false, "runStrategy is Halted");
            case Manual: {
                Map<String, String> a = vm.getMetadata().getAnnotations();
                String requested = a == null ? null : a.get(VmPods.REQUESTED_STATE);
                if ("Stopped".equalsIgnoreCase(requested)) {
                    return new Desire(false, "runStrategy is Manual and " + VmPods.REQUESTED_STATE + " is Stopped");
                }
                if ("Running".equalsIgnoreCase(requested) || pod != null) {
                    return new Desire(true, "requested");
                }
                return new Desire(false, "runStrategy is Manual: waiting for " + VmPods.REQUESTED_STATE
                        + ": Running");
            }
            case Once:
                if (pod == null && status.getPodName() != null) {
                    return new Desire(false, "runStrategy is Once and the VM has run (pod " + status.getPodName()
                            + " is gone)");
                }
                return new Desire(true, "runStrategy is Once");
            default:
                return new Desire(true, "runStrategy is " + strategy);
        }
    }

    /** A pod that ended, which the run strategy wants replaced by a new one. */
    static boolean replaceable(Pod pod, RunStrategy strategy) {
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            return false;
        }
        return switch (strategy) {
            case Always -> "Succeeded".equals(phase) || "Failed".equals(phase);
            case RerunOnFailure -> "Failed".equals(phase);
            default -> false;
        };
    }

    private static Duration untilReplaceable(Pod pod, Instant now) {
        Termination t = VmPodStatus.lastTermination(pod);
        Instant ended = null;
        try {
            ended = t == null || t.getFinishedAt() == null ? null : Instant.parse(t.getFinishedAt());
        } catch (RuntimeException e) {
            // not a timestamp: replace without waiting
        }
        if (ended == null) {
            return Duration.ZERO;
        }
        Duration left = Duration.between(now, ended.plus(REPLACE_BACKOFF));
        return left.isNegative() || left.isZero() ? Duration.ZERO : left;
    }

    static String foreignMessage(String podName, VirtualMachine vm) {
        return "pod " + podName + " exists and is not this VM's (no controller ownerReference to uid "
                + vm.getMetadata().getUid() + "): the VM gets its pod once that one is gone";
    }

    /** The VM's pod name is taken by a pod that is not the VM's. */
    static final class ForeignPod extends RuntimeException {
        ForeignPod(String message) {
            super(message, null, false, false);
        }
    }

    static boolean ownedBy(Pod pod, VirtualMachine vm) {
        List<OwnerReference> refs = pod.getMetadata().getOwnerReferences();
        return refs != null && refs.stream().anyMatch(o -> Boolean.TRUE.equals(o.getController())
                && Objects.equals(o.getUid(), vm.getMetadata().getUid()));
    }

    /** Scheduled from the pod: the scheduler's own reason and message while it is not bound. */
    static void scheduled(ConditionSet conditions, Pod pod) {
        PodCondition c = VmPodStatus.podScheduled(pod);
        String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
        if (VmPodStatus.scheduled(pod)) {
            conditions.set(ConditionTypes.SCHEDULED, true, ConditionTypes.REASON_PLACED,
                    "pod " + pod.getMetadata().getName() + " is bound to node " + node);
        } else if (c != null) {
            String reason = c.getReason() == null || c.getReason().isEmpty() ? ConditionTypes.REASON_UNSCHEDULABLE
                    : VmPodStatus.bounded(c.getReason(), 128);
            String message = c.getMessage() == null ? "pod " + pod.getMetadata().getName() + " is not scheduled"
                    : VmPodStatus.bounded(c.getMessage(), VmPodStatus.MAX_MESSAGE);
            conditions.set(ConditionTypes.SCHEDULED, false, reason, message);
        } else {
            conditions.set(ConditionTypes.SCHEDULED, false, ConditionTypes.REASON_POD_PENDING,
                    "pod " + pod.getMetadata().getName() + " waits for the scheduler");
        }
    }

    private Pod createPod(VirtualMachine vm, Context<VirtualMachine> context, List<String> problems) {
        Pod pod;
        try {
            pod = VmPodBuilder.build(vm, podSettings);
        } catch (IllegalArgumentException | ArithmeticException e) {
            problems.add(e.getMessage());
            return null;
        }
        try {
            Pod created = context.getClient().pods().inNamespace(vm.getMetadata().getNamespace()).resource(pod)
                    .create();
            metrics.podCreated();
            events.normal(vm, "PodCreated", "created pod " + pod.getMetadata().getName());
            return created;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                Pod existing = context.getClient().pods().inNamespace(vm.getMetadata().getNamespace())
                        .withName(pod.getMetadata().getName()).get();
                if (existing != null && !ownedBy(existing, vm)) {
                    throw new ForeignPod(foreignMessage(pod.getMetadata().getName(), vm));
                }
                return null; // created by an earlier reconcile the pod cache has not shown yet
            }
            if (e.getCode() == 422) {
                // the pod built from this spec is invalid (e.g. a passed-through toleration): say why in SpecValid
                problems.add("the VM's pod is invalid: " + VmPodStatus.bounded(e.getStatus() != null
                        && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage(),
                        VmPodStatus.MAX_MESSAGE));
                return null;
            }
            throw e;
        }
    }

    private void deletePod(VirtualMachine vm, Context<VirtualMachine> context, Pod pod, String why) {
        try {
            // the pod's own terminationGracePeriodSeconds: the launcher stops the guest gracefully within it
            context.getClient().pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                    .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND).delete();
            metrics.podDeleted();
            events.normal(vm, "PodDeleted", "deleting pod " + pod.getMetadata().getName() + ": " + why);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    private void recordTermination(VirtualMachine vm, Termination before, Termination after) {
        if (after == null || sameJson(before, after)) {
            return;
        }
        if ("OOMKilled".equals(after.getReason())) {
            events.warning(vm, "OOMKilled", "QEMU of pod " + VmPods.podName(vm.getMetadata().getName())
                    + " was killed for exceeding the pod's memory limit (VM memory + "
                    + podSettings.memoryOverheadMiB() + " MiB overhead)");
        }
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

    private void recordTransitions(VirtualMachine vm, ConditionSet conditions) {
        Condition scheduled = conditions.get(ConditionTypes.SCHEDULED);
        if (conditions.transitioned(ConditionTypes.SCHEDULED)) {
            if (Condition.TRUE.equals(scheduled.getStatus())) {
                events.normal(vm, "Scheduled", scheduled.getMessage());
            } else if (ConditionTypes.REASON_UNSCHEDULABLE.equals(scheduled.getReason())) {
                events.warning(vm, "Unschedulable", scheduled.getMessage());
            }
        }
        Condition spec = conditions.get(ConditionTypes.SPEC_VALID);
        if (Condition.FALSE.equals(spec.getStatus()) && (conditions.transitioned(ConditionTypes.SPEC_VALID)
                || !spec.getMessage().equals(conditions.stored(ConditionTypes.SPEC_VALID).getMessage()))) {
            events.warning(vm, "InvalidSpec", spec.getMessage());
        }
        Condition policy = conditions.get(ConditionTypes.POLICY_APPLIED);
        Condition prevPolicy = conditions.stored(ConditionTypes.POLICY_APPLIED);
        if (Condition.FALSE.equals(policy.getStatus()) && conditions.transitioned(ConditionTypes.POLICY_APPLIED)) {
            events.warning(vm, "InvalidPolicy", policy.getMessage());
        } else if (Condition.TRUE.equals(policy.getStatus()) && prevPolicy != null
                && !policy.getMessage().equals(prevPolicy.getMessage())) {
            events.normal(vm, "PolicyChanged", policy.getMessage());
        }
    }

    /** Compares the fields a writer owns, as JSON, so a status is written only when its content changed. */
    private static boolean sameJson(Object a, Object b) {
        return Objects.equals(JSON.convertValue(a, JsonNode.class), JSON.convertValue(b, JsonNode.class));
    }
}
