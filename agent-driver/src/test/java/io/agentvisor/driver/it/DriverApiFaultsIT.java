package io.agentvisor.driver.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.agent.ScriptedAgent;
import io.agentvisor.api.v1alpha1.AgentState;
import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.Conditions;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineSpec;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.agentvisor.testsupport.ApiFaultProxy;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
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

    @Test
    void aFlakyApiNeverStopsTheGuestNorLosesItsTimeout() throws Exception {
        Path kubeconfig = Files.createTempFile("faulty-api", ".kubeconfig");
        try (DriverTestbed bed = DriverTestbed.prepare(NS, NODE);
             ApiFaultProxy proxy = ApiFaultProxy.start(bed.api, 20261130L, 0.5, Duration.ofSeconds(15));
             ScriptedAgent agent = ScriptedAgent.start((conn, command, request) -> {
                 if (command.equals("guest-info")) {
                     conn.send("{\"return\": {\"version\": \"7.2\", \"supported_commands\": []}}\n");
                 } else {
                     conn.standard(command, request);
                 }
             })) {
            KubernetesClient k = bed.k;
            Path faulty = proxy.writeKubeconfig(bed.api, kubeconfig);
            // the faults begin with the driver's start: its first lists and watches go through them too
            proxy.faulting(true);
            DriverProcess driver = bed.startDriver(faulty);

            VirtualMachineSpec spec = new VirtualMachineSpec();
            spec.setMemory(new Quantity("256Mi"));
            VirtualMachine vm = bed.createVm("steady", spec);
            operatorPolicy(bed, 3);
            Pod pod = bed.createPod(vm, "vm-steady", p -> p);
            Process qemu = bed.startBareQemu(pod, agent.socket());
            bed.await("the VM running with a responsive agent, timeout 3", Duration.ofSeconds(240),
                    () -> bed.status("steady"), st -> healthy(st, 3));
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
                        operatorPolicy(bed, 4); // the operator resolved a new timeout meanwhile
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

                bed.await("the new timeout, the agent responsive, after the faults", Duration.ofSeconds(90),
                        () -> bed.status("steady"), st -> healthy(st, 4));
                assertTrue(qemu.isAlive(), "QEMU runs");
                assertFalse(agent.received().contains("guest-shutdown"), "the guest was never asked to shut down");
                assertTrue(driver.isAlive(), "the driver kept running\n" + driver.log());
                assertEquals(driverPid, driver.pid());
                assertEquals(List.of(), violations, "proxy " + stats);
            }
        } finally {
            Files.deleteIfExists(kubeconfig);
        }
    }

    private static boolean healthy(VirtualMachineStatus st, int timeout) {
        Condition running = Conditions.find(st.getConditions(), ConditionTypes.RUNNING);
        return running != null && Condition.TRUE.equals(running.getStatus()) && st.getAgent() != null
                && st.getAgent().getState() == AgentState.Responsive
                && Integer.valueOf(timeout).equals(st.getAgent().getResponseTimeout());
    }

    /** What the operator writes: the effective agent settings and the node. */
    private static void operatorPolicy(DriverTestbed bed, int timeout) {
        bed.operatorStatus("steady", DriverTestbed.agentPolicy(timeout, 3, "2s", "60s"));
    }
}
