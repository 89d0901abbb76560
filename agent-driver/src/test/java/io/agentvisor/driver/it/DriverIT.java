package io.agentvisor.driver.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentvisor.api.v1alpha1.Agentvisor;
import io.agentvisor.api.v1alpha1.Boot;
import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.Conditions;
import io.agentvisor.api.v1alpha1.NodeLeases;
import io.agentvisor.api.v1alpha1.Phase;
import io.agentvisor.api.v1alpha1.RunStrategy;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineSpec;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.agentvisor.testsupport.KubeApiServer;
import io.agentvisor.testsupport.Repo;
import io.agentvisor.testsupport.Signals;
import io.agentvisor.testsupport.TinyGuest;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
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
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Everything real: the shared apiserver, the packaged driver as a process, the tiny TCG guest with its own qemu-ga.
 * The test plays the operator (it writes status.agentPolicy, status.nodeName and the node label with the
 * operator's field manager). One guest boot for the whole class; the steps build on each other, in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DriverIT {
    static final String NS = "driver-it";
    static final String NODE = "node-a";
    static final ResourceDefinitionContext VMS = ResourceDefinitionContext.fromResourceType(VirtualMachine.class);
    static KubeApiServer api;
    static KubernetesClient k;
    static Path state;
    static Path run;
    static Path logs;
    static DriverProcess driver;
    static long pid;

    @BeforeAll
    static void startDriver() throws Exception {
        api = KubeApiServer.shared();
        k = api.client();
        for (String ns : List.of(NS, "agentvisor-system")) {
            k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
                    .serverSideApply();
        }
        state = Repo.shortTempDir("avds");
        run = Repo.shortTempDir("avdr");
        logs = Files.createTempFile("agent-driver", ".log");
        driver = new DriverProcess(api, NODE, state, run, TinyGuest.kernel().getParent(), logs);
        driver.start();
    }

    @AfterAll
    static void stopEverything() throws Exception {
        if (driver != null) {
            driver.close();
        }
        // no QEMU may outlive the test, whatever failed
        if (state != null && Files.isDirectory(state.resolve("vms"))) {
            try (var dirs = Files.list(state.resolve("vms"))) {
                for (Path d : dirs.toList()) {
                    Path pidFile = d.resolve("qemu.pid");
                    if (Files.exists(pidFile)) {
                        long p = Long.parseLong(Files.readString(pidFile).trim());
                        ProcessHandle.of(p).filter(h -> h.info().command().orElse("").contains("qemu-system"))
                                .ifPresent(h -> {
                                    Signals.cont(p);
                                    h.destroyForcibly();
                                });
                    }
                }
            }
        }
        Repo.deleteRecursively(run);
        System.out.println("---- driver log ----\n" + (driver == null ? "" : tail(driver.log(), 200)));
        Repo.deleteRecursively(state);
        Files.deleteIfExists(logs);
    }

    static String tail(String s, int lines) {
        String[] l = s.split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(l, Math.max(0, l.length - lines), l.length));
    }

    static VirtualMachine newVm(String name, RunStrategy strategy) {
        VirtualMachine vm = new VirtualMachine();
        vm.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
        VirtualMachineSpec spec = new VirtualMachineSpec();
        spec.setRunStrategy(strategy);
        spec.setMemory(new Quantity("256Mi"));
        Boot boot = new Boot();
        boot.setKernel(TinyGuest.kernel().toString());
        boot.setInitrd(TinyGuest.initrd().toString());
        boot.setCmdline("console=ttyS0 quiet");
        spec.setBoot(boot);
        vm.setSpec(spec);
        return k.resource(vm).create();
    }

    /** What the operator would do: place the VM on NODE and resolve its policy. */
    static void operatorPlaces(String name, int responseTimeout) {
        GenericKubernetesResource label = resource(name);
        label.getMetadata().setLabels(Map.of(Agentvisor.NODE_LABEL, NODE));
        k.genericKubernetesResources(VMS).inNamespace(NS).withName(name).patch(apply(), label);
        operatorPolicy(name, responseTimeout);
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

    static boolean qemuAlive(long p) {
        return ProcessHandle.of(p).map(h -> h.isAlive() && h.info().command().orElse("").contains("qemu-system"))
                .orElse(false);
    }

    static long qemuProcessesWithUuid(String uid) {
        return ProcessHandle.allProcesses().filter(h -> h.info().arguments().map(a -> List.of(a).contains(uid))
                .orElse(false)).count();
    }

    @Test
    @Order(1)
    void aPlacedVmRunsWithGuestInfoFromInsideTheGuest() throws Exception {
        newVm("tiny", RunStrategy.RerunOnFailure);
        operatorPlaces("tiny", 3);
        VirtualMachineStatus s = await("Running with guest info", Duration.ofSeconds(150), () -> status("tiny"),
                st -> st.getPhase() == Phase.Running && st.getGuest() != null && st.getGuest().getOsInfo() != null
                        && st.getGuest().getHostname() != null && condition(st, ConditionTypes.AGENT_RESPONSIVE, "True"));
        assertEquals("Agentvisor Tiny Guest 1.0 (Debian 12 userland)", s.getGuest().getOsInfo().getPrettyName());
        assertEquals("agentvisor-guest", s.getGuest().getHostname());
        assertEquals("tcg", s.getQemu().getAccelerator());
        assertEquals(3, s.getAgent().getResponseTimeout());
        assertTrue(condition(s, ConditionTypes.RUNNING, "True"));
        assertTrue(condition(s, ConditionTypes.READY, "True"));
        // the operator's fields are untouched by the driver's applies
        assertEquals(NODE, s.getNodeName());
        assertEquals(3, s.getAgentPolicy().getResponseTimeout());
        assertTrue(vm("tiny").getMetadata().getFinalizers().contains(Agentvisor.FINALIZER));
        pid = s.getQemu().getPid();
        assertTrue(qemuAlive(pid));

        // the node Lease, readiness and metrics
        var lease = k.leases().inNamespace("agentvisor-system").withName(NodeLeases.leaseName(NODE)).get();
        assertNotNull(lease);
        assertTrue(NodeLeases.isFresh(lease, java.time.Instant.now()));
        assertTrue(NodeLeases.memoryCapacityBytes(lease).orElse(0L) > 0);
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
    void aPolicyEditChangesTheAppliedTimeoutWithoutRestartingQemu() throws Exception {
        String rvBefore = vm("tiny").getMetadata().getResourceVersion();
        operatorPolicy("tiny", 7);
        VirtualMachineStatus s = await("applied timeout 7", Duration.ofSeconds(30), () -> status("tiny"),
                st -> st.getAgent() != null && Integer.valueOf(7).equals(st.getAgent().getResponseTimeout()));
        assertEquals(pid, s.getQemu().getPid());
        assertNotEquals(rvBefore, vm("tiny").getMetadata().getResourceVersion());
        assertTrue(qemuAlive(pid));
        operatorPolicy("tiny", 2);
        await("applied timeout 2", Duration.ofSeconds(30), () -> status("tiny"),
                st -> Integer.valueOf(2).equals(st.getAgent().getResponseTimeout()));
    }

    @Test
    @Order(3)
    void aFrozenGuestTurnsUnresponsiveAndRecoversByItself() throws Exception {
        Signals.stop(pid);
        try {
            VirtualMachineStatus s = await("AgentResponsive False", Duration.ofSeconds(60), () -> status("tiny"),
                    st -> condition(st, ConditionTypes.AGENT_RESPONSIVE, "False"));
            assertEquals(ConditionTypes.REASON_TIMEOUT, Conditions.find(s.getConditions(),
                    ConditionTypes.AGENT_RESPONSIVE).getReason());
            assertEquals("Agentvisor Tiny Guest 1.0 (Debian 12 userland)", s.getGuest().getOsInfo().getPrettyName(),
                    "last known good guest info is kept");
            assertEquals(Phase.Running, s.getPhase());
        } finally {
            Signals.cont(pid);
        }
        await("AgentResponsive True again", Duration.ofSeconds(90), () -> status("tiny"),
                st -> condition(st, ConditionTypes.AGENT_RESPONSIVE, "True"));
        assertEquals(pid, status("tiny").getQemu().getPid());
    }

    @Test
    @Order(4)
    void aKilledDriverIsReplacedAndAdoptsTheSameQemu() throws Exception {
        String uid = vm("tiny").getMetadata().getUid();
        driver.kill9();
        assertTrue(qemuAlive(pid), "QEMU outlives its driver");
        // while no driver runs, the policy changes; the new driver applies the persisted value first, then this one
        operatorPolicy("tiny", 4);
        driver.start();
        await("applied timeout 4 by the new driver", Duration.ofSeconds(60), () -> status("tiny"),
                st -> Integer.valueOf(4).equals(st.getAgent().getResponseTimeout())
                        && condition(st, ConditionTypes.AGENT_RESPONSIVE, "True"));
        assertEquals(pid, status("tiny").getQemu().getPid());
        assertEquals(1, qemuProcessesWithUuid(uid), "never a second QEMU");
    }

    @Test
    @Order(5)
    void aKilledQemuIsRestartedUnderRerunOnFailure() throws Exception {
        Signals.kill9(pid);
        VirtualMachineStatus s = await("a new QEMU", Duration.ofSeconds(60), () -> status("tiny"),
                st -> st.getQemu() != null && st.getQemu().getPid() != null && st.getQemu().getPid() != pid
                        && st.getPhase() == Phase.Running);
        long newPid = s.getQemu().getPid();
        assertTrue(qemuAlive(newPid));
        assertFalse(qemuAlive(pid));
        pid = newPid;
    }

    @Test
    @Order(6)
    void aKilledQemuStaysDownUnderHalted() throws Exception {
        newVm("halted", RunStrategy.Always);
        operatorPlaces("halted", -1);
        VirtualMachineStatus s = await("running", Duration.ofSeconds(60), () -> status("halted"),
                st -> st.getPhase() == Phase.Running && st.getQemu() != null && st.getQemu().getPid() != null);
        long p = s.getQemu().getPid();
        VirtualMachine v = vm("halted");
        k.resources(VirtualMachine.class).inNamespace(NS).withName("halted").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"spec\":{\"runStrategy\":\"Halted\"}}");
        // the driver has seen Halted (a graceful stop is under way, the booting guest ignores it): kill QEMU now
        await("stopping", Duration.ofSeconds(30), () -> status("halted"), st -> st.getPhase() == Phase.Stopping);
        Signals.kill9(p);
        await("stopped", Duration.ofSeconds(60), () -> status("halted"),
                st -> st.getPhase() == Phase.Stopped && (st.getQemu() == null || st.getQemu().getPid() == null));
        Thread.sleep(3000);
        VirtualMachineStatus after = status("halted");
        assertEquals(Phase.Stopped, after.getPhase());
        assertEquals(0, qemuProcessesWithUuid(v.getMetadata().getUid()));
        assertTrue(condition(after, ConditionTypes.RUNNING, "False"));
        k.resource(vm("halted")).delete();
        await("halted VM deleted", Duration.ofSeconds(30), () -> vm("halted") == null, b -> b);
    }

    @Test
    @Order(7)
    void deletingTheVmStopsQemuBeforeTheObjectGoes() throws Exception {
        String uid = vm("tiny").getMetadata().getUid();
        k.resource(vm("tiny")).delete();
        await("VM gone", Duration.ofSeconds(60), () -> vm("tiny") == null, b -> b);
        assertFalse(qemuAlive(pid), "QEMU stopped before the finalizer was released");
        assertFalse(Files.exists(state.resolve("vms").resolve(uid)), "state removed");
        assertTrue(driver.isAlive());
    }
}
