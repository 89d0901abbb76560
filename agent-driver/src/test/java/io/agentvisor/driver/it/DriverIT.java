package io.agentvisor.driver.it;

import static io.agentvisor.driver.it.DriverTestbed.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.Conditions;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.agentvisor.testsupport.Signals;
import io.agentvisor.testsupport.TinyGuest;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The node driver attached to a VM pod, everything real but the kubelet: the shared apiserver, the packaged driver
 * as a process, a Node object, a VM and its Pod (bound to the node by spec.nodeName; with no kubelet it stays
 * Pending, which the driver does not mind), and the tiny TCG guest with its own qemu-ga, started here on the host
 * the way the pod would run it: its run volume {@code <kubeletRoot>/pods/<pod uid>/volumes/kubernetes.io~empty-dir/
 * agentvisor-run} holds its qmp.sock and qga.sock (QEMU binds them by a short path, as in the pod, where that
 * directory is mounted at /run/agentvisor). The test plays the operator (status.agentPolicy and nodeName with
 * the operator's field manager). One guest boot for the class; the steps build on each other, in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DriverIT {
    static final String NS = "driver-it";
    static final String NODE = "node-a";
    static final String POD = "vm-tiny";
    static DriverTestbed bed;
    static KubernetesClient k;
    static Path run;
    static DriverProcess driver;
    static Pod pod;
    static TinyGuest guest;
    static String podUid;
    static long pid;

    @BeforeAll
    static void startDriver() throws Exception {
        bed = DriverTestbed.start(NS, NODE);
        k = bed.k;
        run = bed.run;
        driver = bed.driver();
    }

    @AfterAll
    static void stopEverything() throws Exception {
        if (bed != null) {
            bed.close();
        }
    }

    static VirtualMachine newVm(String name) {
        return bed.createTinyGuestVm(name, spec -> spec.getBoot().setCmdline("console=ttyS0 quiet"));
    }

    /** The VM pod as the operator creates it, bound to NODE (no scheduler, no kubelet: it stays Pending). */
    static Pod newPod(VirtualMachine vm) {
        return bed.createPod(vm, POD, p -> p.editMetadata().editFirstOwnerReference().withBlockOwnerDeletion(true)
                .endOwnerReference().endMetadata()
                .editSpec().editFirstContainer()
                .addNewVolumeMount().withName("agentvisor-run").withMountPath("/run/agentvisor").endVolumeMount()
                .endContainer()
                .addNewVolume().withName("agentvisor-run").withNewEmptyDir().endEmptyDir().endVolume()
                .endSpec());
    }

    static void operatorPolicy(String name, int responseTimeout) {
        bed.operatorStatus(name, DriverTestbed.agentPolicy(responseTimeout, 2, "2s", "20s"));
    }

    static VirtualMachine vm(String name) {
        return k.resources(VirtualMachine.class).inNamespace(NS).withName(name).get();
    }

    static VirtualMachineStatus status(String name) {
        return bed.status(name);
    }

    static boolean condition(VirtualMachineStatus s, String type, String status) {
        Condition c = Conditions.find(s.getConditions(), type);
        return c != null && status.equals(c.getStatus());
    }

    static List<Event> events(String namespace, String object, String reason) {
        return k.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> object.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason())).toList();
    }

    static <T> T await(String what, Duration max, Supplier<T> get, Predicate<T> ok) throws InterruptedException {
        return bed.await(what, max, get::get, ok);
    }

    @Test
    @Order(1)
    void theDriverAttachesToTheVmPodsQemuAndFillsStatusFromInsideTheGuest() throws Exception {
        VirtualMachine vm = newVm("tiny");
        operatorPolicy("tiny", 3);
        pod = newPod(vm);
        podUid = pod.getMetadata().getUid();
        // the pod's run volume on the node: where the kubelet would have put it
        guest = bed.bootGuest(pod);
        pid = guest.pid();

        VirtualMachineStatus s = await("attached with guest info", Duration.ofSeconds(90), () -> status("tiny"),
                st -> st.getQemu() != null && Long.valueOf(pid).equals(st.getQemu().getPid())
                        && st.getGuest() != null && st.getGuest().getOsInfo() != null
                        && st.getGuest().getHostname() != null
                        && condition(st, ConditionTypes.AGENT_RESPONSIVE, "True"));
        assertEquals("Agentvisor Tiny Guest 1.0 (Debian 12 userland)", s.getGuest().getOsInfo().getPrettyName());
        assertEquals("agentvisor-guest", s.getGuest().getHostname());
        assertEquals("tcg", s.getQemu().getAccelerator());
        assertEquals(3, s.getAgent().getResponseTimeout());
        assertTrue(condition(s, ConditionTypes.RUNNING, "True"));
        assertTrue(condition(s, ConditionTypes.READY, "True"));
        assertTrue(Conditions.find(s.getConditions(), ConditionTypes.RUNNING).getMessage()
                .contains("pid " + pid + " in pod " + POD), s.getConditions().toString());
        // the operator's fields are untouched, and the driver writes no phase (the operator's)
        assertEquals(NODE, s.getNodeName());
        assertEquals(3, s.getAgentPolicy().getResponseTimeout());
        assertNull(s.getPhase());
        List<String> finalizers = vm("tiny").getMetadata().getFinalizers();
        assertTrue(finalizers == null || finalizers.isEmpty(), "the driver puts no finalizer: " + finalizers);
        assertFalse(events(NS, "tiny", "Attached").isEmpty());
        // a short link in the driver's run directory to the pod's run volume
        assertEquals(bed.runVolume(podUid), Files.readSymbolicLink(run.resolve(podUid)));

        // readiness (the driver watches) and metrics
        int port = driver.httpPort(Duration.ofSeconds(5));
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/q/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ready.statusCode(), ready.body());
        assertTrue(ready.body().contains("\"vm-pod-watch\""), ready.body());
        String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains("agentvisor_agent_call_seconds_bucket{command=\"guest-get-osinfo\""), metrics);
        assertTrue(metrics.contains("agentvisor_vms_running 1.0"), metrics);
    }

    @Test
    @Order(2)
    void theKvmProbesVerdictIsOnTheNodeWithItsReason() throws Exception {
        Node n = await("KVM label on the node", Duration.ofSeconds(60), () -> k.nodes().withName(NODE).get(),
                node -> node.getMetadata().getLabels() != null
                        && node.getMetadata().getLabels().containsKey("agentvisor.io/kvm"));
        // this machine has a /dev/kvm on which QEMU with the VM pods' options cannot run guest code
        assertEquals("false", n.getMetadata().getLabels().get("agentvisor.io/kvm"));
        String reason = n.getMetadata().getAnnotations().get("agentvisor.io/kvm-reason");
        assertNotNull(reason);
        assertTrue(reason.contains("-accel kvm -cpu host"), reason);
        List<Event> ev = await("KvmUnusable event on the node", Duration.ofSeconds(10),
                () -> events("default", NODE, "KvmUnusable"), l -> !l.isEmpty());
        assertTrue(ev.get(0).getMessage().contains("VM pods use TCG"), ev.get(0).getMessage());
        VirtualMachineStatus s = await("the Running message says why TCG", Duration.ofSeconds(30),
                () -> status("tiny"), st -> Conditions.find(st.getConditions(), ConditionTypes.RUNNING).getMessage()
                        .contains("KVM is not offered on node " + NODE));
        assertEquals("tcg", s.getQemu().getAccelerator());
    }

    @Test
    @Order(3)
    void aPolicyEditChangesTheAppliedTimeoutLiveWithTheSameQemu() throws Exception {
        String rvBefore = vm("tiny").getMetadata().getResourceVersion();
        operatorPolicy("tiny", 7);
        VirtualMachineStatus s = await("applied timeout 7", Duration.ofSeconds(30), () -> status("tiny"),
                st -> st.getAgent() != null && Integer.valueOf(7).equals(st.getAgent().getResponseTimeout()));
        assertEquals(pid, s.getQemu().getPid());
        assertNotEquals(rvBefore, vm("tiny").getMetadata().getResourceVersion());
        assertTrue(guest.process().isAlive());
    }

    @Test
    @Order(4)
    void aFrozenGuestTurnsUnresponsiveAndRecoversByItself() throws Exception {
        guest.freeze();
        try {
            VirtualMachineStatus s = await("AgentResponsive False", Duration.ofSeconds(60), () -> status("tiny"),
                    st -> condition(st, ConditionTypes.AGENT_RESPONSIVE, "False"));
            assertEquals(ConditionTypes.REASON_TIMEOUT, Conditions.find(s.getConditions(),
                    ConditionTypes.AGENT_RESPONSIVE).getReason());
            assertEquals("agentvisor-guest", s.getGuest().getHostname(), "last known good guest info is kept");
            assertTrue(condition(s, ConditionTypes.RUNNING, "True"), "a frozen QEMU still runs");
        } finally {
            guest.thaw();
        }
        await("AgentResponsive True again", Duration.ofSeconds(90), () -> status("tiny"),
                st -> condition(st, ConditionTypes.AGENT_RESPONSIVE, "True"));
        assertEquals(pid, status("tiny").getQemu().getPid());
    }

    @Test
    @Order(5)
    void aDriverKilledWithSigkillIsReplacedAndReattachesToTheSameQemuWithTheTimeoutFromTheApi() throws Exception {
        driver.kill9();
        assertTrue(guest.process().isAlive(), "QEMU outlives its driver");
        // while no driver runs, the policy changes; the new driver applies what the API says
        operatorPolicy("tiny", 4);
        driver.start();
        await("applied timeout 4 by the new driver", Duration.ofSeconds(60), () -> status("tiny"),
                st -> Integer.valueOf(4).equals(st.getAgent().getResponseTimeout())
                        && condition(st, ConditionTypes.AGENT_RESPONSIVE, "True"));
        assertEquals(pid, status("tiny").getQemu().getPid());
        assertTrue(guest.process().isAlive());
        assertEquals(pid, guest.pid(), "never restarted");
    }

    @Test
    @Order(6)
    void aQemuThatDiesIsReportedAndItsRestartInTheSamePodIsAttached() throws Exception {
        Signals.kill9(pid);
        assertTrue(guest.process().waitFor(10, TimeUnit.SECONDS));
        VirtualMachineStatus s = await("Running False after QEMU died", Duration.ofSeconds(30), () -> status("tiny"),
                st -> condition(st, ConditionTypes.RUNNING, "False"));
        assertEquals("QemuExited", Conditions.find(s.getConditions(), ConditionTypes.RUNNING).getReason());
        assertTrue(s.getQemu() == null || s.getQemu().getPid() == null, json(s.getQemu()));
        assertTrue(condition(s, ConditionTypes.READY, "False"));
        assertFalse(events(NS, "tiny", "QemuExited").isEmpty());
        // the kubelet restarts the container: a new QEMU in the same pod, its sockets in the same volume
        guest = bed.bootGuest(pod);
        long restarted = guest.pid();
        s = await("attached to the restarted QEMU", Duration.ofSeconds(60), () -> status("tiny"),
                st -> st.getQemu() != null && Long.valueOf(restarted).equals(st.getQemu().getPid())
                        && condition(st, ConditionTypes.AGENT_RESPONSIVE, "True"));
        assertEquals(4, s.getAgent().getResponseTimeout(), "the VM's timeout applies to the new QEMU's agent");
        pid = restarted;
    }

    @Test
    @Order(7)
    void deletingThePodMakesTheGuestShutItselfDownThroughItsAgent() throws Exception {
        k.pods().inNamespace(NS).withName(POD).delete();
        Pod terminating = k.pods().inNamespace(NS).withName(POD).get();
        assertNotNull(terminating.getMetadata().getDeletionTimestamp(), "a bound pod is deleted gracefully");
        assertTrue(guest.process().waitFor(90, TimeUnit.SECONDS), "QEMU ends once the guest has shut down");
        assertEquals(0, guest.process().exitValue(), "QEMU exits 0 after a guest poweroff (not killed)");
        await("the driver's stop and the guest's shutdown as events", Duration.ofSeconds(30),
                () -> events(NS, "tiny", "ShuttingDown"), ev -> !ev.isEmpty());
        assertTrue(events(NS, "tiny", "ShuttingDown").get(0).getMessage().contains("guest-shutdown sent through the "
                + "guest agent"), events(NS, "tiny", "ShuttingDown").get(0).getMessage());
        await("QMP SHUTDOWN from the guest", Duration.ofSeconds(30), () -> events(NS, "tiny", "GuestShutdown"),
                ev -> !ev.isEmpty());
        VirtualMachineStatus s = await("Running False", Duration.ofSeconds(30), () -> status("tiny"),
                st -> condition(st, ConditionTypes.RUNNING, "False"));
        assertTrue(s.getQemu() == null || s.getQemu().getPid() == null, json(s.getQemu()));
        // the kubelet would now remove the pod; without one, the test does
        k.pods().inNamespace(NS).withName(POD).withGracePeriod(0).delete();
        await("the driver's link removed", Duration.ofSeconds(30),
                () -> Files.exists(run.resolve(podUid), LinkOption.NOFOLLOW_LINKS), exists -> !exists);
        assertTrue(driver.isAlive());
    }
}
