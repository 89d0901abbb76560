package io.agentvisor.operator;

import static io.agentvisor.operator.ItSupport.PATIENCE;
import static io.agentvisor.operator.ItSupport.awaitPod;
import static io.agentvisor.operator.ItSupport.awaitVm;
import static io.agentvisor.operator.ItSupport.client;
import static io.agentvisor.operator.ItSupport.conditionIs;
import static io.agentvisor.operator.ItSupport.create;
import static io.agentvisor.operator.ItSupport.newNamespace;
import static io.agentvisor.operator.ItSupport.newVm;
import static io.agentvisor.operator.ItSupport.pod;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.Conditions;
import io.agentvisor.api.v1alpha1.Phase;
import io.agentvisor.api.v1alpha1.RunStrategy;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VmPods;
import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/**
 * The operator against a real apiserver with no scheduler and no kubelet: the test plays both, binding pods and
 * writing their status through the status subresource as the kubelet would, and checks what the VM shows.
 */
@QuarkusTest
@QuarkusTestResource(KubeApiServerResource.class)
class VmPodIT {

    @Test
    void aVmGetsItsPodAndShowsWhatTheSchedulerAndTheKubeletSay() {
        String ns = newNamespace("vmpod");
        VirtualMachine vm = newVm(ns, "web", Map.of("app", "web"), "256Mi");
        VirtualMachine created = create(vm);

        Pod pod = awaitPod(ns, "web", p -> true);
        assertEquals("vm-web", pod.getMetadata().getName());
        assertEquals(Map.of("app", "web", VmPods.APP_LABEL, VmPods.APP, VmPods.VM_LABEL, "web", VmPods.VM_UID_LABEL,
                created.getMetadata().getUid()), pod.getMetadata().getLabels());
        assertEquals(created.getMetadata().getUid(), pod.getMetadata().getOwnerReferences().get(0).getUid());
        assertEquals(true, pod.getMetadata().getOwnerReferences().get(0).getController());
        assertEquals("Always", pod.getSpec().getRestartPolicy());
        assertEquals("agentvisor/vm-launcher:it", pod.getSpec().getContainers().get(0).getImage());
        assertEquals("416Mi", pod.getSpec().getContainers().get(0).getResources().getLimits().get("memory")
                .toString());
        assertEquals(false, pod.getSpec().getAutomountServiceAccountToken());
        assertTrue(pod.getSpec().getContainers().get(0).getArgs().contains("tcg,tb-size=32"));
        awaitVm(ns, "web", v -> v.getStatus().getPhase() == Phase.Pending && "vm-web".equals(v.getStatus().getPodName())
                && conditionIs(v, ConditionTypes.SCHEDULED, "False", ConditionTypes.REASON_POD_PENDING));

        // the scheduler cannot place it: its reason and message, verbatim
        String unschedulable = "0/1 nodes are available: 1 Insufficient memory.";
        setStatus(ns, "vm-web", s -> {
            s.setPhase("Pending");
            s.setConditions(List.of(new PodConditionBuilder().withType("PodScheduled").withStatus("False")
                    .withReason("Unschedulable").withMessage(unschedulable).withLastTransitionTime(now()).build()));
            return s;
        });
        VirtualMachine waiting = awaitVm(ns, "web", v -> conditionIs(v, ConditionTypes.SCHEDULED, "False",
                ConditionTypes.REASON_UNSCHEDULABLE));
        assertEquals(unschedulable, scheduled(waiting).getMessage());
        assertEquals(Phase.Pending, waiting.getStatus().getPhase());

        // bound, running, and its QEMU was OOM-killed once and restarted by the kubelet
        client().bindings().inNamespace(ns).resource(
                new BindingBuilder().withNewMetadata().withName("vm-web").endMetadata()
                        .withNewTarget().withKind("Node").withName("node-a").endTarget().build()).create();
        setStatus(ns, "vm-web", s -> {
            s.setPhase("Running");
            s.setConditions(List.of(new PodConditionBuilder().withType("PodScheduled").withStatus("True")
                    .withLastTransitionTime(now()).build()));
            s.setContainerStatuses(List.of(new ContainerStatusBuilder().withName(VmPods.CONTAINER)
                    .withImage("agentvisor/vm-launcher:it").withImageID("").withReady(true).withRestartCount(1)
                    .withNewState().withNewRunning().withStartedAt(now()).endRunning().endState()
                    .withNewLastState().withNewTerminated().withReason("OOMKilled").withExitCode(137)
                    .withStartedAt(now()).withFinishedAt(now()).endTerminated().endLastState().build()));
            return s;
        });
        VirtualMachine running = awaitVm(ns, "web", v -> v.getStatus().getPhase() == Phase.Running);
        assertEquals("node-a", running.getStatus().getNodeName());
        assertEquals(1, running.getStatus().getRestartCount());
        assertEquals("OOMKilled", running.getStatus().getLastTermination().getReason());
        assertEquals(137, running.getStatus().getLastTermination().getExitCode());
        assertTrue(conditionIs(running, ConditionTypes.SCHEDULED, "True", ConditionTypes.REASON_PLACED));
        assertEquals("pod vm-web is bound to node node-a", scheduled(running).getMessage());
        assertNull(Conditions.find(running.getStatus().getConditions(), ConditionTypes.RESTART_REQUIRED));

        // a pod's spec cannot change: more memory applies at the next start, and the VM says so
        String podUid = pod(ns, "web").getMetadata().getUid();
        patchVm(ns, "web", "{\"spec\":{\"memory\":\"512Mi\"}}");
        VirtualMachine outdated = awaitVm(ns, "web", v -> conditionIs(v, ConditionTypes.RESTART_REQUIRED, "True",
                "PodOutdated"));
        assertEquals(podUid, pod(ns, "web").getMetadata().getUid(), "the running VM is not restarted");
        assertEquals(Phase.Running, outdated.getStatus().getPhase());

        // Halted: the pod is deleted with its grace period (the kubelet would now stop the guest) ...
        patchVm(ns, "web", "{\"spec\":{\"runStrategy\":\"Halted\"}}");
        Pod stopping = awaitPod(ns, "web", p -> p.getMetadata().getDeletionTimestamp() != null);
        assertEquals(90L, stopping.getMetadata().getDeletionGracePeriodSeconds());
        awaitVm(ns, "web", v -> v.getStatus().getPhase() == Phase.Stopping);
        // ... and once the kubelet confirmed (here: the test, with grace 0) the VM is Stopped, with no new pod
        client().pods().inNamespace(ns).withName("vm-web").withGracePeriod(0).delete();
        VirtualMachine halted = awaitVm(ns, "web", v -> v.getStatus().getPhase() == Phase.Stopped
                && conditionIs(v, ConditionTypes.SCHEDULED, "False", ConditionTypes.REASON_NOT_REQUESTED));
        assertNull(halted.getStatus().getNodeName());
        assertNull(pod(ns, "web"));

        // started again, then the VM is deleted: Kubernetes' garbage collector deletes the pod it owns
        patchVm(ns, "web", "{\"spec\":{\"runStrategy\":\"Always\"}}");
        Pod again = awaitPod(ns, "web", p -> true);
        client().resources(VirtualMachine.class).inNamespace(ns).withName("web").delete();
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(250))
                .until(() -> client().pods().inNamespace(ns).withName("vm-web").get() == null);
        assertNotNull(again.getMetadata().getUid());
    }

    @Test
    void aOnceVmKilledForMemoryShowsItAndIsNotRestarted() {
        String ns = newNamespace("vmoom");
        VirtualMachine vm = newVm(ns, "batch", Map.of(), "256Mi");
        vm.getSpec().setRunStrategy(RunStrategy.Once);
        create(vm);
        Pod pod = awaitPod(ns, "batch", p -> true);
        assertEquals("Never", pod.getSpec().getRestartPolicy());
        String podUid = pod.getMetadata().getUid();
        setStatus(ns, "vm-batch", s -> {
            s.setPhase("Failed");
            s.setConditions(List.of(new PodConditionBuilder().withType("PodScheduled").withStatus("True")
                    .withLastTransitionTime(now()).build()));
            s.setContainerStatuses(List.of(terminated("OOMKilled", 137)));
            return s;
        });
        VirtualMachine failed = awaitVm(ns, "batch", v -> v.getStatus().getPhase() == Phase.Failed);
        assertEquals("OOMKilled", failed.getStatus().getLastTermination().getReason());
        assertEquals(137, failed.getStatus().getLastTermination().getExitCode());
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(500)).until(() -> client().v1().events().inNamespace(ns)
                .list().getItems().stream().anyMatch(e -> "OOMKilled".equals(e.getReason())
                        && "batch".equals(e.getInvolvedObject().getName())));
        // Once: the failed pod stays (its logs are the console) and no other pod replaces it
        assertEquals(podUid, pod(ns, "batch").getMetadata().getUid());
    }

    @Test
    void aManualVmRunsOnRequestAndStopsOnRequest() {
        String ns = newNamespace("vmman");
        VirtualMachine vm = newVm(ns, "desk", Map.of(), "256Mi");
        vm.getSpec().setRunStrategy(RunStrategy.Manual);
        create(vm);
        awaitVm(ns, "desk", v -> v.getStatus() != null && v.getStatus().getPhase() == Phase.Stopped
                && conditionIs(v, ConditionTypes.SCHEDULED, "False", ConditionTypes.REASON_NOT_REQUESTED));
        assertNull(pod(ns, "desk"));
        patchVm(ns, "desk", "{\"metadata\":{\"annotations\":{\"" + VmPods.REQUESTED_STATE + "\":\"Running\"}}}");
        assertEquals("Never", awaitPod(ns, "desk", p -> true).getSpec().getRestartPolicy());
        patchVm(ns, "desk", "{\"metadata\":{\"annotations\":{\"" + VmPods.REQUESTED_STATE + "\":\"Stopped\"}}}");
        // not bound to a node: the apiserver deletes it at once
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(250)).until(() -> pod(ns, "desk") == null);
        awaitVm(ns, "desk", v -> v.getStatus().getPhase() == Phase.Stopped);
    }

    @Test
    void eachAccessCredentialSecretIsAReadOnlySecretVolumeOfThePod() {
        String ns = newNamespace("vmcreds");
        VirtualMachine vm = newVm(ns, "creds", Map.of(), "256Mi");
        io.agentvisor.api.v1alpha1.SshPublicKeyAccessCredential keys = new io.agentvisor.api.v1alpha1.SshPublicKeyAccessCredential();
        keys.setSecretName("creds-keys");
        keys.setUsers(List.of("demo", "root"));
        io.agentvisor.api.v1alpha1.UserPasswordAccessCredential passwords = new io.agentvisor.api.v1alpha1.UserPasswordAccessCredential();
        passwords.setSecretName("creds-passwords");
        io.agentvisor.api.v1alpha1.AccessCredential a = new io.agentvisor.api.v1alpha1.AccessCredential();
        a.setSshPublicKey(keys);
        io.agentvisor.api.v1alpha1.AccessCredential b = new io.agentvisor.api.v1alpha1.AccessCredential();
        b.setUserPassword(passwords);
        vm.getSpec().setAccessCredentials(List.of(a, b));
        create(vm); // the Secrets need not exist: the volumes are optional

        Pod pod = awaitPod(ns, "creds", p -> true);
        Map<String, io.fabric8.kubernetes.api.model.Volume> volumes = new java.util.HashMap<>();
        pod.getSpec().getVolumes().forEach(v -> volumes.put(v.getName(), v));
        assertEquals("creds-keys", volumes.get(VmPods.credentialVolume(0)).getSecret().getSecretName());
        assertEquals("creds-passwords", volumes.get(VmPods.credentialVolume(1)).getSecret().getSecretName());
        assertEquals(0400, volumes.get(VmPods.credentialVolume(1)).getSecret().getDefaultMode());
        assertEquals(true, volumes.get(VmPods.credentialVolume(1)).getSecret().getOptional());
        List<io.fabric8.kubernetes.api.model.VolumeMount> mounts = pod.getSpec().getContainers().get(0)
                .getVolumeMounts().stream().filter(m -> m.getName().startsWith(VmPods.CREDENTIAL_VOLUME_PREFIX))
                .toList();
        assertEquals(2, mounts.size(), "mounted, so that the kubelet sets them up");
        assertTrue(mounts.stream().allMatch(m -> Boolean.TRUE.equals(m.getReadOnly())));
        awaitVm(ns, "creds", v -> conditionIs(v, ConditionTypes.SPEC_VALID, "True", ConditionTypes.REASON_VALID));
    }

    @Test
    void aPodTheApiserverRejectsNamesTheProblemInTheVmsStatus() {
        String ns = newNamespace("vmbad");
        VirtualMachine vm = newVm(ns, "odd", Map.of(), "256Mi");
        // the CRD schema accepts it; the pod validation does not (operator Exists with a value)
        vm.getSpec().setTolerations(List.of(new io.fabric8.kubernetes.api.model.TolerationBuilder().withKey("k")
                .withOperator("Exists").withValue("v").build()));
        create(vm);
        VirtualMachine bad = awaitVm(ns, "odd", v -> conditionIs(v, ConditionTypes.SPEC_VALID, "False",
                ConditionTypes.REASON_INVALID_SPEC));
        String message = Conditions.find(bad.getStatus().getConditions(), ConditionTypes.SPEC_VALID).getMessage();
        assertTrue(message.startsWith("the VM's pod is invalid: ") && message.contains("tolerations"), message);
        assertNull(pod(ns, "odd"));
    }

    @Test
    void aPodNameTakenByAnotherPodIsShownAndFreedLater() {
        String ns = newNamespace("vmtaken");
        client().pods().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata()
                .withName("vm-taken").endMetadata().withNewSpec().withAutomountServiceAccountToken(false)
                .addNewContainer().withName("c").withImage("x")
                .endContainer().endSpec().build()).create();
        create(newVm(ns, "taken", Map.of(), "256Mi"));
        VirtualMachine blocked = awaitVm(ns, "taken", v -> conditionIs(v, ConditionTypes.SCHEDULED, "False",
                "PodConflict"));
        assertTrue(scheduled(blocked).getMessage().startsWith("pod vm-taken exists and is not this VM's"),
                scheduled(blocked).getMessage());
        assertEquals(Phase.Failed, blocked.getStatus().getPhase());
        client().pods().inNamespace(ns).withName("vm-taken").delete();
        Pod mine = awaitPod(ns, "taken", p -> p.getMetadata().getOwnerReferences() != null
                && !p.getMetadata().getOwnerReferences().isEmpty());
        assertEquals(blocked.getMetadata().getUid(), mine.getMetadata().getOwnerReferences().get(0).getUid());
    }

    private static ContainerStatus terminated(String reason, int exitCode) {
        return new ContainerStatusBuilder().withName(VmPods.CONTAINER).withImage("agentvisor/vm-launcher:it")
                .withImageID("").withReady(false).withRestartCount(0).withNewState().withNewTerminated()
                .withReason(reason).withExitCode(exitCode).withStartedAt(now()).withFinishedAt(now()).endTerminated()
                .endState().build();
    }

    private static Condition scheduled(VirtualMachine vm) {
        return Conditions.find(vm.getStatus().getConditions(), ConditionTypes.SCHEDULED);
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** What the kubelet does: replace the pod's status through the status subresource. */
    private static void setStatus(String ns, String name, UnaryOperator<PodStatus> change) {
        await().atMost(PATIENCE).ignoreExceptions().until(() -> {
            Pod p = client().pods().inNamespace(ns).withName(name).get();
            p.setStatus(change.apply(p.getStatus() == null ? new PodStatus() : p.getStatus()));
            client().pods().inNamespace(ns).resource(p).updateStatus();
            return true;
        });
    }

    private static void patchVm(String ns, String name, String mergePatch) {
        client().resources(VirtualMachine.class).inNamespace(ns).withName(name).patch(
                new io.fabric8.kubernetes.client.dsl.base.PatchContext.Builder()
                        .withPatchType(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE).build(), mergePatch);
    }
}
