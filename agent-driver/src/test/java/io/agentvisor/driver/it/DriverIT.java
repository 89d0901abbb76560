package io.agentvisor.driver.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentvisor.api.v1alpha1.Agentvisor;
import io.agentvisor.api.v1alpha1.Boot;
import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.Conditions;
import io.agentvisor.api.v1alpha1.RunStrategy;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineSpec;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.agentvisor.testsupport.KubeApiServer;
import io.agentvisor.testsupport.Repo;
import io.agentvisor.testsupport.Signals;
import io.agentvisor.testsupport.TinyGuest;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    static final ResourceDefinitionContext VMS = ResourceDefinitionContext.fromResourceType(VirtualMachine.class);
    static KubeApiServer api;
    static KubernetesClient k;
    static Path kubelet;
    static Path run;
    static Path logs;
    static DriverProcess driver;
    static TinyGuest guest;
    static String podUid;
    static long pid;

    @BeforeAll
    static void startDriver() throws Exception {
        api = KubeApiServer.shared();
        k = api.client();
        k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
                .serverSideApply();
        // no service-account controller runs: the namespace's default account, which pod admission looks up
        k.serviceAccounts().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.ServiceAccountBuilder()
                .withNewMetadata().withName("default").withNamespace(NS).endMetadata().build()).serverSideApply();
        k.nodes().resource(new NodeBuilder().withNewMetadata().withName(NODE).endMetadata().build()).create();
        kubelet = Repo.shortTempDir("avkl");
        run = Repo.shortTempDir("avdr");
        logs = Files.createTempFile("agent-driver", ".log");
        driver = new DriverProcess(api, NODE, run, kubelet, logs);
        driver.start();
    }

    @AfterAll
    static void stopEverything() throws Exception {
        if (driver != null) {
            driver.close();
        }
        if (guest != null) {
            if (guest.process().isAlive()) {
                Signals.cont(guest.pid());
            }
            guest.close();
        }
        if (k != null) {
            k.pods().inNamespace(NS).withName(POD).withGracePeriod(0).delete();
            k.resources(VirtualMachine.class).inNamespace(NS).withName("tiny").delete();
            k.nodes().withName(NODE).delete();
        }
        System.out.println("---- driver log ----\n" + (driver == null ? "" : tail(driver.log(), 200)));
        Repo.deleteRecursively(run);
        Repo.deleteRecursively(kubelet);
        Files.deleteIfExists(logs);
    }

    static String tail(String s, int lines) {
        String[] l = s.split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(l, Math.max(0, l.length - lines), l.length));
    }

    static VirtualMachine newVm(String name) {
        VirtualMachine vm = new VirtualMachine();
        vm.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
        VirtualMachineSpec spec = new VirtualMachineSpec();
        spec.setRunStrategy(RunStrategy.Always);
        spec.setMemory(new Quantity("256Mi"));
        Boot boot = new Boot();
        boot.setKernel(TinyGuest.kernel().toString());
        boot.setInitrd(TinyGuest.initrd().toString());
        boot.setCmdline("console=ttyS0 quiet");
        spec.setBoot(boot);
        vm.setSpec(spec);
        return k.resource(vm).create();
    }

    /** The VM pod as the operator creates it, bound to NODE (no scheduler, no kubelet: it stays Pending). */
    static Pod newPod(VirtualMachine vm) {
        return k.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName(POD).withNamespace(NS)
                .withLabels(Map.of("app.kubernetes.io/name", "agentvisor-vm", "agentvisor.io/vm",
                        vm.getMetadata().getName(), "agentvisor.io/vm-uid", vm.getMetadata().getUid()))
                .addNewOwnerReference().withApiVersion(Agentvisor.API_VERSION).withKind("VirtualMachine")
                .withName(vm.getMetadata().getName()).withUid(vm.getMetadata().getUid()).withController(true)
                .withBlockOwnerDeletion(true).endOwnerReference().endMetadata()
                .withNewSpec().withNodeName(NODE).withRestartPolicy("Always").withAutomountServiceAccountToken(false)
                .addNewContainer().withName("qemu").withImage("agentvisor/vm-launcher:test")
                .addNewVolumeMount().withName("agentvisor-run").withMountPath("/run/agentvisor").endVolumeMount()
                .endContainer()
                .addNewVolume().withName("agentvisor-run").withNewEmptyDir().endEmptyDir().endVolume()
                .endSpec().build()).create();
    }

    static void operatorPolicy(String name, int responseTimeout) {
        GenericKubernetesResource st = resource(name);
        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("enabled", true);
        policy.put("responseTimeout", responseTimeout);
        policy.put("unresponsiveAfter", 2);
        policy.put("pollIntervals", Map.of("users", "2s", "osInfo", "20s", "interfaces", "60s", "filesystems", "60s",
                "agentInfo", "60s"));
        policy.put("source", "Default");
        st.setAdditionalProperty("status", Map.of("agentPolicy", policy, "nodeName", NODE));
        k.genericKubernetesResources(VMS).inNamespace(NS).withName(name).subresource("status").patch(apply(), st);
    }

    static GenericKubernetesResource resource(String name) {
        GenericKubernetesResource r = new GenericKubernetesResource();
        r.setApiVersion(Agentvisor.API_VERSION);
        r.setKind("VirtualMachine");
        r.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
        return r;
    }

    static PatchContext apply() {
        return new PatchContext.Builder().withPatchType(PatchType.SERVER_SIDE_APPLY)
                .withFieldManager(Agentvisor.OPERATOR_FIELD_MANAGER).withForce(true).build();
    }

    static VirtualMachine vm(String name) {
        return k.resources(VirtualMachine.class).inNamespace(NS).withName(name).get();
    }

    static VirtualMachineStatus status(String name) {
        VirtualMachine vm = vm(name);
        return vm == null || vm.getStatus() == null ? new VirtualMachineStatus() : vm.getStatus();
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
        long deadline = System.nanoTime() + max.toNanos();
        T last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = get.get();
                if (ok.test(last)) {
                    return last;
                }
            } catch (RuntimeException e) {
                // keep trying until the deadline
            }
            Thread.sleep(250);
        }
        throw new AssertionError(what + " not reached within " + max + "; last: " + json(last) + "\ndriver log:\n"
                + tail(driver.log(), 60));
    }

    static String json(Object o) {
        try {
            return new ObjectMapper().writeValueAsString(o);
        } catch (IOException e) {
            return String.valueOf(o);
        }
    }

    @Test
    @Order(1)
    void theDriverAttachesToTheVmPodsQemuAndFillsStatusFromInsideTheGuest() throws Exception {
        VirtualMachine vm = newVm("tiny");
        operatorPolicy("tiny", 3);
        Pod pod = newPod(vm);
        podUid = pod.getMetadata().getUid();
        guest = TinyGuest.boot();
        // the pod's run volume on the node: where the kubelet would have put it
        Path volumes = Files.createDirectories(kubelet.resolve("pods").resolve(podUid).resolve("volumes")
                .resolve("kubernetes.io~empty-dir"));
        Files.createSymbolicLink(volumes.resolve("agentvisor-run"), guest.qmpSocket().getParent());
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
        assertEquals(volumes.resolve("agentvisor-run"), Files.readSymbolicLink(run.resolve(podUid)));

        // readiness (the driver watches) and metrics
        int port = driver.httpPort(Duration.ofSeconds(5));
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/q/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ready.statusCode(), ready.body());
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
        guest.close();
        guest = TinyGuest.boot();
        Path runVolume = kubelet.resolve("pods").resolve(podUid).resolve("volumes")
                .resolve("kubernetes.io~empty-dir").resolve("agentvisor-run");
        Files.delete(runVolume);
        Files.createSymbolicLink(runVolume, guest.qmpSocket().getParent());
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
