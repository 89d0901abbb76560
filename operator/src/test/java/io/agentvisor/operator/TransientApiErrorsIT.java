package io.agentvisor.operator;

import static io.agentvisor.operator.ItSupport.awaitPod;
import static io.agentvisor.operator.ItSupport.awaitVm;
import static io.agentvisor.operator.ItSupport.client;
import static io.agentvisor.operator.ItSupport.conditionIs;
import static io.agentvisor.operator.ItSupport.create;
import static io.agentvisor.operator.ItSupport.newNamespace;
import static io.agentvisor.operator.ItSupport.newVm;
import static io.agentvisor.operator.ItSupport.pod;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.Phase;
import io.agentvisor.api.v1alpha1.RunStrategy;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VmPods;
import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/**
 * The operator's API connection fails half of its requests for a minute (HTTP 500, 503 and 429, connections closed
 * without an answer, requests held until the client gives up, writes whose answer is lost, watches answered 410 Gone
 * so informers re-list; watches are ended every few seconds, so they reconnect through the faults) while VMs of every
 * run strategy run in their pods and their pods change: no VM pod is deleted or replaced (same uids, never a deletion
 * timestamp), no VM is shown stopped, stopping or failed, and once the faults stop every VM's status catches up with
 * its pod. Then every write fails at once for 40 s right after a pod changed: once writes pass again, that VM's status
 * catches up without anything else happening. The proxy sits between the operator and a real kube-apiserver; the test
 * talks to the apiserver directly and plays the scheduler and the kubelet.
 */
@QuarkusTest
// restricted: a global resource would point every other @QuarkusTest of this module at the proxy
@QuarkusTestResource(value = FaultyApiResource.class, restrictToAnnotatedClass = true)
class TransientApiErrorsIT {
    static final Duration FAULTS = Duration.ofSeconds(60);
    static final Duration WRITES_FAIL = Duration.ofSeconds(40);
    static final Set<Phase> STOPPED = Set.of(Phase.Stopped, Phase.Stopping, Phase.Failed);

    @Test
    void aFlakyApiNeverStopsAVmAndTheStatusCatchesUpAfterwards() throws Exception {
        String ns = newNamespace("apifault");
        Map<String, RunStrategy> vms = new LinkedHashMap<>();
        vms.put("always", RunStrategy.Always);
        vms.put("rerun", RunStrategy.RerunOnFailure);
        vms.put("once", RunStrategy.Once);
        vms.put("manual", RunStrategy.Manual);
        for (var e : vms.entrySet()) {
            VirtualMachine vm = newVm(ns, e.getKey(), Map.of("app", e.getKey()), "128Mi");
            vm.getSpec().setRunStrategy(e.getValue());
            if (e.getValue() == RunStrategy.Manual) {
                vm.getMetadata().setAnnotations(Map.of(VmPods.REQUESTED_STATE, "Running"));
            }
            create(vm);
        }
        Map<String, String> podUids = new LinkedHashMap<>();
        for (String name : vms.keySet()) {
            awaitPod(ns, name, p -> true);
            client().bindings().inNamespace(ns).resource(new BindingBuilder().withNewMetadata()
                    .withName(VmPods.podName(name)).endMetadata().withNewTarget().withKind("Node").withName("node-f")
                    .endTarget().build()).create();
            running(ns, name, 0);
            awaitVm(ns, name, v -> v.getStatus().getPhase() == Phase.Running);
            podUids.put(name, pod(ns, name).getMetadata().getUid());
        }

        // everything that happens to the pods and the VMs, seen directly from the apiserver
        List<String> violations = Collections.synchronizedList(new ArrayList<>());
        Set<String> seenPhases = ConcurrentHashMap.newKeySet();
        try (Watch pods = client().pods().inNamespace(ns).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Pod p) {
                String name = p.getMetadata().getName();
                if (action == Action.DELETED || p.getMetadata().getDeletionTimestamp() != null) {
                    violations.add(Instant.now() + " pod " + name + " " + action + " (deletionTimestamp "
                            + p.getMetadata().getDeletionTimestamp() + ")");
                } else if (action == Action.ADDED && podUids.containsKey(name.substring(3))
                        && !podUids.containsValue(p.getMetadata().getUid())) {
                    violations.add(Instant.now() + " pod " + name + " re-created with uid " + p.getMetadata().getUid());
                }
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        }); Watch vmWatch = client().resources(VirtualMachine.class).inNamespace(ns).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, VirtualMachine v) {
                Phase phase = v.getStatus() == null ? null : v.getStatus().getPhase();
                seenPhases.add(v.getMetadata().getName() + "=" + phase);
                if (action == Action.DELETED || STOPPED.contains(phase)) {
                    violations.add(Instant.now() + " VM " + v.getMetadata().getName() + " " + action + " phase "
                            + phase);
                }
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        })) {
            control("on");
            Instant end = Instant.now().plus(FAULTS);
            int round = 0;
            while (Instant.now().isBefore(end)) {
                round++;
                control("drop-streams"); // the operator's watches end: it re-lists and re-watches through the faults
                // what the kubelet and users do meanwhile: QEMU restarts in its pod, labels change
                String name = List.copyOf(vms.keySet()).get(round % vms.size());
                running(ns, name, round);
                String label = Integer.toString(round);
                client().resources(VirtualMachine.class).inNamespace(ns).withName(name)
                        .edit(v -> {
                            v.getMetadata().getLabels().put("round", label);
                            return v;
                        });
                Thread.sleep(5000);
            }
            String stats = control("stats");
            control("off");
            control("drop-streams");

            // afterwards the status catches up: every VM shows its pod's latest restart count, running
            Map<String, Integer> restarts = new LinkedHashMap<>();
            for (String name : vms.keySet()) {
                restarts.put(name, pod(ns, name).getStatus().getContainerStatuses().get(0).getRestartCount());
            }
            for (String name : vms.keySet()) {
                VirtualMachine v = awaitVm(ns, name, x -> x.getStatus().getPhase() == Phase.Running
                        && restarts.get(name).equals(x.getStatus().getRestartCount())
                        && conditionIs(x, ConditionTypes.SCHEDULED, "True", ConditionTypes.REASON_PLACED));
                assertEquals("node-f", v.getStatus().getNodeName());
                assertEquals(podUids.get(name), pod(ns, name).getMetadata().getUid(), name + ": the same pod");
            }
            // a change seen while no write gets through, for longer than a few retries take: nothing else happens
            // afterwards, yet the VM's status catches up once writes pass again
            control("writes");
            running(ns, "always", 99);
            Thread.sleep(WRITES_FAIL.toMillis());
            control("off");
            awaitVm(ns, "always", x -> Integer.valueOf(99).equals(x.getStatus().getRestartCount()));

            // and the operator still does its job: a new VM gets its pod
            create(newVm(ns, "after", Map.of("app", "after"), "128Mi"));
            awaitPod(ns, "after", p -> true);
            assertEquals(List.of(), violations, "seen phases " + seenPhases + "; proxy " + stats);
            // the faults reached the operator's lists, watches and writes
            for (String verb : List.of("LIST", "WATCH", "PATCH")) {
                assertTrue(stats.contains(verb + "="), "no " + verb + " was faulted: " + stats);
            }
        }
    }

    /** What the kubelet writes: the VM's pod runs, after {@code restarts} restarts of its container. */
    private static void running(String ns, String vm, int restarts) {
        String now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        Pod p = pod(ns, vm);
        p.getStatus().setPhase("Running");
        p.getStatus().setConditions(List.of(new PodConditionBuilder().withType("PodScheduled").withStatus("True")
                .withLastTransitionTime(now).build()));
        p.getStatus().setContainerStatuses(List.of(new ContainerStatusBuilder().withName(VmPods.CONTAINER)
                .withImage("agentvisor/vm-launcher:it").withImageID("").withReady(true).withRestartCount(restarts)
                .withNewState().withNewRunning().withStartedAt(now).endRunning().endState().build()));
        client().pods().inNamespace(ns).resource(p).updateStatus();
    }

    private static String control(String what) throws Exception {
        String url = System.getProperty(FaultyApiResource.CONTROL_URL);
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + "/__faults/" + what))
                .timeout(Duration.ofSeconds(10));
        HttpResponse<String> r = HttpClient.newHttpClient().send("stats".equals(what) ? b.GET().build()
                : b.POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }
}
