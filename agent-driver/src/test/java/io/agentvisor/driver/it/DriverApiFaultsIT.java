package io.agentvisor.driver.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.agent.ScriptedAgent;
import io.agentvisor.api.v1alpha1.Agentvisor;
import io.agentvisor.api.v1alpha1.AgentState;
import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.Conditions;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.agentvisor.testsupport.ApiFaultProxy;
import io.agentvisor.testsupport.KubeApiServer;
import io.agentvisor.testsupport.Repo;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The packaged driver's API connection fails half of its requests from its start until 45 s after it reported the VM
 * (HTTP 500, 503, 429, connections closed
 * without an answer, requests held past the client's timeout, writes whose answer is lost, watches answered 410 Gone
 * so informers re-list; watches are ended every few seconds) while it runs a VM (a real QEMU without a guest, the
 * scripted agent on its agent socket) and the operator changes the VM's timeout: the driver never asks the guest to
 * shut down, never powers it down, never reports it not running, never falls back to another timeout than the ones
 * set, starts and stays up (its first lists are retried, not fatal), and once the faults stop the status shows the new
 * timeout with a responsive agent.
 */
class DriverApiFaultsIT {
    static final String NS = "driver-faults-it";
    static final String NODE = "node-driver-faults";
    static final Duration FAULTS = Duration.ofSeconds(45);
    static final ResourceDefinitionContext VMS = ResourceDefinitionContext.fromResourceType(VirtualMachine.class);

    @Test
    void aFlakyApiNeverStopsTheGuestNorLosesItsTimeout() throws Exception {
        KubeApiServer api = KubeApiServer.shared();
        KubernetesClient k = api.client();
        k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
                .serverSideApply();
        k.serviceAccounts().inNamespace(NS).resource(new ServiceAccountBuilder().withNewMetadata().withName("default")
                .withNamespace(NS).endMetadata().build()).serverSideApply();
        k.nodes().resource(new NodeBuilder().withNewMetadata().withName(NODE).endMetadata().build()).serverSideApply();
        Path kubelet = Repo.shortTempDir("avkl");
        Path run = Repo.shortTempDir("avdr");
        Path sockets = Repo.shortTempDir("avqm");
        Path logs = Files.createTempFile("agent-driver", ".log");
        Path kubeconfig = Files.createTempFile("faulty-api", ".kubeconfig");
        Process qemu = null;
        DriverProcess driver = null;
        try (ApiFaultProxy proxy = ApiFaultProxy.start(api, 20261130L, 0.5, Duration.ofSeconds(15));
             ScriptedAgent agent = ScriptedAgent.start((conn, command, request) -> {
                 if (command.equals("guest-info")) {
                     conn.send("{\"return\": {\"version\": \"7.2\", \"supported_commands\": []}}\n");
                 } else {
                     conn.standard(command, request);
                 }
             })) {
            driver = new DriverProcess(proxy.writeKubeconfig(api, kubeconfig), NODE, run, kubelet, logs);
            // the faults begin with the driver's start: its first lists and watches go through them too
            proxy.faulting(true);
            driver.start();
            DriverProcess d = driver;

            VirtualMachine vm = new VirtualMachine();
            vm.setMetadata(new ObjectMetaBuilder().withName("steady").withNamespace(NS).build());
            vm.setSpec(new io.agentvisor.api.v1alpha1.VirtualMachineSpec());
            vm.getSpec().setMemory(new io.fabric8.kubernetes.api.model.Quantity("256Mi"));
            vm = k.resource(vm).create();
            operatorPolicy(k, 3);
            Pod pod = k.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName("vm-steady")
                    .withNamespace(NS).withLabels(Map.of("app.kubernetes.io/name", "agentvisor-vm", "agentvisor.io/vm",
                            "steady", "agentvisor.io/vm-uid", vm.getMetadata().getUid()))
                    .addNewOwnerReference().withApiVersion(Agentvisor.API_VERSION).withKind("VirtualMachine")
                    .withName("steady").withUid(vm.getMetadata().getUid()).withController(true).endOwnerReference()
                    .endMetadata().withNewSpec().withNodeName(NODE).withAutomountServiceAccountToken(false)
                    .addNewContainer().withName("qemu").withImage("agentvisor/vm-launcher:test").endContainer()
                    .endSpec().build()).create();
            Files.move(agent.socket(), sockets.resolve("qga.sock"));
            qemu = new ProcessBuilder("qemu-system-x86_64", "-machine", "none", "-nodefaults", "-display", "none",
                    "-qmp", "unix:" + sockets.resolve("qmp.sock") + ",server=on,wait=off")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            Path volumes = Files.createDirectories(kubelet.resolve("pods").resolve(pod.getMetadata().getUid())
                    .resolve("volumes").resolve("kubernetes.io~empty-dir"));
            Files.createSymbolicLink(volumes.resolve("agentvisor-run"), sockets);
            HostileInputIT.await("the VM running with a responsive agent, timeout 3", Duration.ofSeconds(240),
                    () -> status(k), st -> healthy(st, 3), d::log);
            driver.httpPort(Duration.ofSeconds(120)); // started: every informer had its first list
            long driverPid = driver.pid();

            List<String> violations = Collections.synchronizedList(new ArrayList<>());
            try (Watch w = k.resources(VirtualMachine.class).inNamespace(NS).watch(new Watcher<>() {
                @Override
                public void eventReceived(Action action, VirtualMachine v) {
                    VirtualMachineStatus st = v.getStatus();
                    Condition running = st == null ? null : Conditions.find(st.getConditions(),
                            ConditionTypes.RUNNING);
                    Integer timeout = st == null || st.getAgent() == null ? null : st.getAgent().getResponseTimeout();
                    if (running != null && !Condition.TRUE.equals(running.getStatus())) {
                        violations.add(Instant.now() + " Running " + running.getStatus() + ": "
                                + running.getMessage());
                    }
                    if (timeout != null && timeout != 3 && timeout != 4) {
                        violations.add(Instant.now() + " status.agent.responseTimeout " + timeout);
                    }
                }

                @Override
                public void onClose(WatcherException cause) {
                }
            })) {
                Instant end = Instant.now().plus(FAULTS);
                int round = 0;
                while (Instant.now().isBefore(end)) {
                    round++;
                    proxy.dropStreams();
                    if (round == 2) {
                        operatorPolicy(k, 4); // the operator resolved a new timeout meanwhile
                    }
                    // the kubelet touches the pod (an annotation stands for a status heartbeat)
                    int r = round;
                    k.pods().inNamespace(NS).withName("vm-steady").edit(p -> {
                        p.getMetadata().setAnnotations(Map.of("touched", Integer.toString(r)));
                        return p;
                    });
                    Thread.sleep(5000);
                }
                String stats = proxy.stats();
                proxy.faulting(false);
                proxy.dropStreams();
                for (String verb : List.of("LIST", "WATCH", "PATCH")) {
                    assertTrue(proxy.injectedByVerb().getOrDefault(verb, 0L) > 0, "no " + verb + " faulted: " + stats);
                }

                HostileInputIT.await("the new timeout, the agent responsive, after the faults", Duration.ofSeconds(90),
                        () -> status(k), st -> healthy(st, 4), d::log);
                assertTrue(qemu.isAlive(), "QEMU runs");
                assertFalse(agent.received().contains("guest-shutdown"), "the guest was never asked to shut down");
                assertTrue(driver.isAlive(), "the driver kept running\n" + d.log());
                assertEquals(driverPid, driver.pid());
                assertEquals(List.of(), violations, "proxy " + stats);
            }
        } finally {
            if (driver != null) {
                driver.close();
            }
            if (qemu != null) {
                qemu.destroy();
                qemu.waitFor(10, TimeUnit.SECONDS);
            }
            k.pods().inNamespace(NS).withName("vm-steady").withGracePeriod(0).delete();
            k.genericKubernetesResources(VMS).inNamespace(NS).withName("steady").delete();
            k.nodes().withName(NODE).delete();
            Repo.deleteRecursively(run);
            Repo.deleteRecursively(kubelet);
            Repo.deleteRecursively(sockets);
            Files.deleteIfExists(logs);
            Files.deleteIfExists(kubeconfig);
        }
    }

    private static boolean healthy(VirtualMachineStatus st, int timeout) {
        Condition running = Conditions.find(st.getConditions(), ConditionTypes.RUNNING);
        return running != null && Condition.TRUE.equals(running.getStatus()) && st.getAgent() != null
                && st.getAgent().getState() == AgentState.Responsive
                && Integer.valueOf(timeout).equals(st.getAgent().getResponseTimeout());
    }

    private static VirtualMachineStatus status(KubernetesClient k) {
        VirtualMachine v = k.resources(VirtualMachine.class).inNamespace(NS).withName("steady").get();
        return v == null || v.getStatus() == null ? new VirtualMachineStatus() : v.getStatus();
    }

    /** What the operator writes: the effective agent settings and the node. */
    private static void operatorPolicy(KubernetesClient k, int timeout) {
        GenericKubernetesResource st = new GenericKubernetesResource();
        st.setApiVersion(Agentvisor.API_VERSION);
        st.setKind("VirtualMachine");
        st.setMetadata(new ObjectMetaBuilder().withName("steady").withNamespace(NS).build());
        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("enabled", true);
        policy.put("responseTimeout", timeout);
        policy.put("unresponsiveAfter", 3);
        policy.put("pollIntervals", Map.of("users", "2s", "osInfo", "60s", "interfaces", "60s", "filesystems", "60s",
                "agentInfo", "60s"));
        policy.put("source", "Default");
        st.setAdditionalProperty("status", Map.of("agentPolicy", policy, "nodeName", NODE));
        k.genericKubernetesResources(VMS).inNamespace(NS).withName("steady").subresource("status").patch(
                new PatchContext.Builder().withPatchType(PatchType.SERVER_SIDE_APPLY)
                        .withFieldManager(Agentvisor.OPERATOR_FIELD_MANAGER).withForce(true).build(), st);
    }
}
