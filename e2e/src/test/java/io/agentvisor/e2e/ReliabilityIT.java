package io.agentvisor.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.agentvisor.api.v1alpha1.Bounds;
import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.Conditions;
import io.agentvisor.api.v1alpha1.GuestAgentPolicy;
import io.agentvisor.api.v1alpha1.Phase;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.agentvisor.testsupport.BinAgentvisor;
import io.agentvisor.testsupport.ChartOnNode;
import io.agentvisor.testsupport.Cmd;
import io.agentvisor.testsupport.HostProcesses;
import io.agentvisor.testsupport.Repo;
import io.agentvisor.testsupport.Signals;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The reliability suite on the real node: the installation of {@link ChartOnNode} (chart, images built here, VMs as
 * pods), broken on purpose under running VMs. The control plane hangs and is restarted, a QEMU is frozen, the guest
 * agent misbehaves behind a proxy, an external writer competes for a VM's labels and status, the operator is killed
 * in the middle of a policy rollout, bad specs arrive; each time the VMs' pods and QEMUs must be untouched, the
 * operator and the driver must recover by themselves (without a restart unless the scenario killed one) and the
 * status must tell the truth.
 *
 * <p>The suite keeps to a namespace of its own and deletes what it created, so it does not depend on the other
 * e2e classes that share the installation (nor they on it). Two VMs are booted once and shared by the scenarios, in
 * order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(Summary.class)
class ReliabilityIT {
    static final String NS = "e2e-reliability";
    static final String A = "rel-a";
    static final String B = "rel-b";
    static final List<String> RUNNING = List.of(A, B);
    static final Duration BOOT = Duration.ofMinutes(3);
    static final Duration RECOVER = Duration.ofMinutes(3);
    /** The policy of the suite's VMs: short timeouts and a 2 s users poll, so faults show within seconds. */
    static final int USERS_POLL_SECONDS = 2;
    static final int UNRESPONSIVE_AFTER = 2;
    static final String EXTERNAL_CONDITION = "ExternalAudit";
    static final String EXTERNAL_MANAGER = "e2e-external-writer";
    static final Set<String> OPERATOR_CONDITIONS = Set.of(ConditionTypes.SCHEDULED, ConditionTypes.POLICY_APPLIED,
            ConditionTypes.SPEC_VALID);
    static final Set<String> DRIVER_CONDITIONS = Set.of(ConditionTypes.RUNNING, ConditionTypes.AGENT_CONNECTED,
            ConditionTypes.AGENT_RESPONSIVE, ConditionTypes.READY);
    /** Names of /tmp entries this class creates (directly or through ChartOnNode): none may be left. */
    static final List<String> OUR_TMP_PREFIXES = List.of("avpx", "av-e2e");
    static final ObjectMapper JSON = new ObjectMapper();

    static ChartOnNode sys;
    static KubernetesClient k;
    static Set<String> tmpBefore;
    /** Every VM and pod this class created, by uid, for the final accounting. */
    static final Map<String, String> vmUids = new ConcurrentHashMap<>();
    static final Set<String> podUids = ConcurrentHashMap.newKeySet();
    static int timeout = 2;
    /** The responseTimeout the rollout scenario expects on its VMs. */
    static int rollTimeout;

    // ------------------------------------------------------------------ fixture

    @BeforeAll
    static void install() {
        tmpBefore = tmpEntries();
        sys = ChartOnNode.install();
        k = sys.cluster.client();
        k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
                .serverSideApply();
        // the VM pods need the namespace's default ServiceAccount (created by the controller manager)
        await("ServiceAccount default in " + NS).atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
                .until(() -> k.serviceAccounts().inNamespace(NS).withName("default").get() != null);
    }

    @AfterAll
    static void cleanUp() {
        if (sys == null) {
            return;
        }
        // idempotent: the last scenario did this already when it ran
        sys.kubectlResult("delete", "namespace", NS, "--ignore-not-found", "--wait=true", "--timeout=180s");
    }

    static String vmYaml(String name, String memory, String kernel, String extraSpec) {
        return """
                apiVersion: agentvisor.io/v1alpha1
                kind: VirtualMachine
                metadata:
                  name: %s
                  namespace: %s
                  labels: {app: rel}
                spec:
                  runStrategy: Always
                  cpu: {cores: 1}
                  memory: %s
                  boot:
                    kernel: %s
                    initrd: %s/tiny-guest/initramfs.cpio.gz
                    cmdline: console=ttyS0 quiet
                  guestAgent: {enabled: true}
                %s""".formatted(name, NS, memory, kernel, sys.images, extraSpec.indent(2));
    }

    static String allowedKernel() {
        return sys.images + "/tiny-guest/vmlinuz";
    }

    static String policyYaml(String name, String selector, int priority, int responseTimeout) {
        return """
                apiVersion: agentvisor.io/v1alpha1
                kind: GuestAgentPolicy
                metadata:
                  name: %s
                  namespace: %s
                spec:
                  selector: {matchLabels: %s}
                  priority: %d
                  responseTimeout: %d
                  unresponsiveAfter: %d
                  pollIntervals: {users: %ds}
                """.formatted(name, NS, selector, priority, responseTimeout, UNRESPONSIVE_AFTER, USERS_POLL_SECONDS);
    }

    static Resource<VirtualMachine> vmResource(String name) {
        return k.resources(VirtualMachine.class).inNamespace(NS).withName(name);
    }

    static VirtualMachine vm(String name) {
        return vmResource(name).get();
    }

    static VirtualMachineStatus status(String name) {
        VirtualMachine v = vm(name);
        return v == null || v.getStatus() == null ? new VirtualMachineStatus() : v.getStatus();
    }

    static Pod pod(String vm) {
        return k.pods().inNamespace(NS).withName("vm-" + vm).get();
    }

    static Condition cond(VirtualMachineStatus s, String type) {
        return Conditions.find(s.getConditions(), type);
    }

    static boolean is(VirtualMachineStatus s, String type, String value) {
        Condition c = cond(s, type);
        return c != null && value.equals(c.getStatus());
    }

    static long qemuPid(VirtualMachineStatus s) {
        return s.getQemu() == null || s.getQemu().getPid() == null ? 0 : s.getQemu().getPid();
    }

    /** Running, its agent answering, guest facts read from inside the guest. */
    static boolean healthy(VirtualMachineStatus s) {
        return s.getPhase() == Phase.Running && qemuPid(s) > 0 && is(s, ConditionTypes.AGENT_RESPONSIVE, "True")
                && is(s, ConditionTypes.RUNNING, "True") && s.getAgent() != null
                && "Responsive".equals(String.valueOf(s.getAgent().getState())) && s.getGuest() != null
                && s.getGuest().getHostname() != null && s.getGuest().getOsInfo() != null;
    }

    static VirtualMachineStatus awaitStatus(String what, Duration max, String vm, Predicate<VirtualMachineStatus> ok) {
        AtomicReference<VirtualMachineStatus> last = new AtomicReference<>();
        try {
            await(vm + ": " + what).atMost(max).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> {
                VirtualMachineStatus s = status(vm);
                last.set(s);
                return ok.test(s);
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(e.getMessage() + "; last status: " + json(last.get()), e);
        }
        return last.get();
    }

    static VirtualMachineStatus awaitHealthy(String vm, Duration max) {
        return awaitStatus("Running, agent Responsive, guest info", max, vm, ReliabilityIT::healthy);
    }

    /** The policy's timeout resolved by the operator and applied by the driver, the VM healthy. */
    static void awaitApplied(String vm, int seconds) {
        awaitStatus("responseTimeout " + seconds + " resolved (operator) and applied (driver)", RECOVER, vm,
                s -> healthy(s) && s.getAgentPolicy() != null
                        && Integer.valueOf(seconds).equals(s.getAgentPolicy().getResponseTimeout())
                        && Integer.valueOf(seconds).equals(s.getAgent().getResponseTimeout()));
    }

    /** Edits the suite's policy, retrying while the API is not answering yet. */
    static void setPolicyTimeout(int seconds) {
        timeout = seconds;
        await("policy rel edited to " + seconds).atMost(RECOVER).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                .until(() -> {
                    k.resources(GuestAgentPolicy.class).inNamespace(NS).withName("rel").patch(
                            PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"responseTimeout\":" + seconds + "}}");
                    return true;
                });
    }

    static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            return String.valueOf(o);
        }
    }

    /** What must not change under a fault: the VM's pod, its container's restarts, its QEMU (pid + start time). */
    record Identity(String podUid, int restarts, long qemuPid, Instant qemuStarted) {
    }

    static Identity identity(String vm) {
        Pod p = pod(vm);
        assertNotNull(p, "pod of " + vm);
        long pid = qemuPid(status(vm));
        assertTrue(pid > 0, vm + ": status.qemu.pid");
        return new Identity(p.getMetadata().getUid(), restarts(p), pid, HostProcesses.startTime(pid).orElse(null));
    }

    static Map<String, Identity> identities() {
        Map<String, Identity> m = new LinkedHashMap<>();
        RUNNING.forEach(n -> m.put(n, identity(n)));
        return m;
    }

    static int restarts(Pod p) {
        return p.getStatus() == null || p.getStatus().getContainerStatuses() == null ? 0
                : p.getStatus().getContainerStatuses().stream().mapToInt(c -> c.getRestartCount()).sum();
    }

    /** Exactly one QEMU on the node carries the VM's uid, and it is the one its status names. */
    static void assertOneQemu(String vm) {
        List<Long> found = HostProcesses.qemuPids(vmUids.get(vm));
        assertEquals(List.of(qemuPid(status(vm))), found, vm + ": QEMU processes with its uid vs status.qemu.pid");
    }

    /** The operator's and the driver's processes and pods: a restart changes one of these. */
    record Components(List<Long> operatorPids, List<Long> driverPids, String operatorPod, int operatorRestarts,
            String driverPod, int driverRestarts) {
        boolean alive() {
            return operatorPids.stream().allMatch(HostProcesses::alive) && driverPids.stream().allMatch(HostProcesses::alive);
        }
    }

    static Components components() {
        Pod op = component("operator");
        Pod drv = component("agent-driver");
        return new Components(HostProcesses.javaPids("/opt/agentvisor/operator/"),
                HostProcesses.javaPids("/opt/agentvisor/agent-driver/"), op.getMetadata().getUid(), restarts(op),
                drv.getMetadata().getUid(), restarts(drv));
    }

    static Pod component(String name) {
        List<Pod> pods = k.pods().inNamespace(ChartOnNode.NS).withLabel("app.kubernetes.io/component", name).list()
                .getItems().stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
        assertEquals(1, pods.size(), name + " pods: " + pods.stream().map(p -> p.getMetadata().getName()).toList());
        return pods.get(0);
    }

    static void hold(Duration d, Runnable checkEachSecond) {
        long end = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < end) {
            checkEachSecond.run();
            sleep(Math.min(1000, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()) + 1));
        }
        checkEachSecond.run();
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Set<String> tmpEntries() {
        try (var s = Files.list(Path.of("/tmp"))) {
            return new TreeSet<>(s.map(p -> p.getFileName().toString())
                    .filter(n -> OUR_TMP_PREFIXES.stream().anyMatch(n::startsWith)).toList());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ scenarios

    @Test
    @Order(0)
    @DisplayName("0 two VMs boot as pods in a namespace of the suite's own, with a policy of short timeouts")
    void bootTwoVms() {
        sys.apply(policyYaml("rel", "{app: rel}", 10, timeout));
        for (String name : RUNNING) {
            sys.apply(vmYaml(name, "256Mi", allowedKernel(), ""));
        }
        for (String name : RUNNING) {
            VirtualMachineStatus s = awaitHealthy(name, BOOT);
            assertEquals(timeout, s.getAgent().getResponseTimeout(), name);
            vmUids.put(name, vm(name).getMetadata().getUid());
            podUids.add(pod(name).getMetadata().getUid());
            assertOneQemu(name);
        }
        Summary.check(RUNNING + " Running in pods vm-rel-a/vm-rel-b, agent Responsive, guest info, responseTimeout "
                + timeout + " applied, one QEMU each (found in /proc by VM uid = status.qemu.pid)");
    }

    @Test
    @Order(1)
    @DisplayName("1 kube-apiserver hung for 20 s (SIGSTOP) under running VMs")
    void apiserverHangs() {
        Map<String, Identity> before = identities();
        Components comps = components();
        long api = sys.apiserverPid();
        Signals.stop(api);
        try {
            hold(Duration.ofSeconds(20), () -> {
                before.forEach((vm, id) -> assertTrue(HostProcesses.alive(id.qemuPid()), vm + ": QEMU runs while the API hangs"));
                assertTrue(comps.alive(), "operator and driver JVMs alive while the API hangs");
            });
        } finally {
            Signals.cont(api);
        }
        Summary.check("API hung 20 s (requests accepted, never answered): every QEMU and both JVMs kept running");
        recovered(before, comps, 3, "after SIGCONT");
    }

    /** Both writers resume by themselves: a policy edit is resolved and applied; nothing restarted. */
    static void recovered(Map<String, Identity> before, Components comps, int newTimeout, String when) {
        setPolicyTimeout(newTimeout);
        for (String vm : RUNNING) {
            awaitApplied(vm, newTimeout);
        }
        assertEquals(before, identities(), "same pods, restarts, QEMU pids and start times");
        RUNNING.forEach(ReliabilityIT::assertOneQemu);
        assertEquals(comps, components(), "operator and driver: same processes, same pods, no restart");
        Summary.check(when + ": policy edit -> responseTimeout " + newTimeout + " resolved and applied on both VMs; "
                + "same pods (uid, 0 new restarts), same QEMU pids and start times; operator and driver not restarted "
                + "(same JVM pids " + comps.operatorPids() + "/" + comps.driverPids() + ", same pods)");
    }

    @Test
    @Order(2)
    @DisplayName("2 etcd and kube-apiserver killed, started again on the same data, under running VMs")
    void controlPlaneRestarts() {
        Map<String, Identity> before = identities();
        Components comps = components();
        Map<String, String> uids = new LinkedHashMap<>();
        RUNNING.forEach(n -> uids.put(n, vm(n).getMetadata().getUid()));
        sys.cluster.killComponent("kube-apiserver");
        sys.cluster.killComponent("etcd");
        try {
            assertTrue(sys.kubectlResult("get", "--raw", "/readyz", "--request-timeout=5s").exitCode() != 0,
                    "the API is down");
            hold(Duration.ofSeconds(15), () -> {
                before.forEach((vm, id) -> assertTrue(HostProcesses.alive(id.qemuPid()), vm + ": QEMU runs without the API"));
                assertTrue(comps.alive(), "operator and driver JVMs alive without the API");
            });
        } finally {
            sys.cluster.heal();
        }
        Summary.check("etcd + kube-apiserver killed for 15 s (connections refused): every QEMU and both JVMs kept "
                + "running; restarted on the same data");
        recovered(before, comps, 4, "after the restart");
        RUNNING.forEach(n -> assertEquals(uids.get(n), vm(n).getMetadata().getUid(), n + ": the same object"));
        Summary.check("same VirtualMachine objects (uids) after the restart: nothing lost from etcd");
    }

    @Test
    @Order(3)
    @DisplayName("3 QEMU frozen (SIGSTOP) and thawed")
    void qemuFrozen() {
        Identity before = identity(A);
        VirtualMachineStatus was = status(A);
        // reported within unresponsiveAfter probes, each at most one users interval plus the timeout apart, plus
        // the status write
        Duration bound = Duration.ofSeconds(UNRESPONSIVE_AFTER * (USERS_POLL_SECONDS + timeout) + 10);
        Signals.stop(before.qemuPid());
        VirtualMachineStatus frozen;
        try {
            frozen = awaitStatus("AgentResponsive False (Timeout) within " + bound.toSeconds() + " s", bound, A,
                    s -> is(s, ConditionTypes.AGENT_RESPONSIVE, "False"));
        } finally {
            Signals.cont(before.qemuPid());
        }
        assertEquals(ConditionTypes.REASON_TIMEOUT, cond(frozen, ConditionTypes.AGENT_RESPONSIVE).getReason(),
                json(frozen));
        assertEquals("Unresponsive", String.valueOf(frozen.getAgent().getState()));
        assertEquals(Phase.Running, frozen.getPhase());
        assertEquals(was.getGuest().getHostname(), frozen.getGuest().getHostname(), "last known guest info kept");
        Summary.check("SIGSTOP of QEMU pid " + before.qemuPid() + ": AgentResponsive False (Timeout), agent "
                + "Unresponsive within the policy's bound (" + bound.toSeconds() + " s), phase Running, guest info kept");
        awaitHealthy(A, RECOVER);
        assertEquals(before, identity(A));
        assertOneQemu(A);
        Summary.check("SIGCONT: Responsive again by itself; same pod, no restart, same QEMU pid and start time");
    }

    @Test
    @Order(4)
    @DisplayName("4 agent faults through a proxy on the VM pod's agent socket: frozen, late, flood, oversize reply, gone")
    void agentFaults() throws Exception {
        Identity before = identity(A);
        VirtualMachineStatus was = status(A);
        String hostname = was.getGuest().getHostname();
        String osId = was.getGuest().getOsInfo().getId();
        Path volume = sys.cluster.kubeletRootDir().resolve("pods").resolve(before.podUid()).resolve("volumes")
                .resolve("kubernetes.io~empty-dir").resolve("agentvisor-run");
        // the socket's path on the node is longer than AF_UNIX allows: bind and connect through a short link
        Path linkDir = Repo.shortTempDir("avpx");
        Path link = linkDir.resolve("r");
        Files.createSymbolicLink(link, volume);
        Path socket = link.resolve("qga.sock");
        Path real = link.resolve("qga.real");
        try {
            Files.move(socket, real); // QEMU keeps listening on the moved socket
            try (AgentFaultProxy proxy = AgentFaultProxy.start(socket, real)) {
                // the driver's open connection goes straight to QEMU: a restarted driver connects through the proxy
                Components old = components();
                assertEquals(1, old.driverPids().size(), old.toString());
                HostProcesses.forceKill(old.driverPids().get(0));
                await("a new driver JVM").atMost(RECOVER).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                        .until(() -> {
                            List<Long> now = HostProcesses.javaPids("/opt/agentvisor/agent-driver/");
                            return now.size() == 1 && !now.equals(old.driverPids());
                        });
                sys.awaitComponentsReady(Duration.ofMinutes(3));
                awaitStatus("healthy through the proxy", RECOVER, A, s -> healthy(s) && proxy.connections() > 0);
                Components comps = components();
                long driverPid = comps.driverPids().get(0);
                Summary.check("agent socket moved aside, proxy in its place, driver kill -9: restarted by the kubelet "
                        + "(restarts " + old.driverRestarts() + " -> " + comps.driverRestarts() + "), Responsive "
                        + "through the proxy");

                proxy.hold(true);
                VirtualMachineStatus frozen = awaitStatus("frozen agent: AgentResponsive False", RECOVER, A,
                        s -> is(s, ConditionTypes.AGENT_RESPONSIVE, "False"));
                assertEquals(ConditionTypes.REASON_TIMEOUT, cond(frozen, ConditionTypes.AGENT_RESPONSIVE).getReason());
                assertEquals(Phase.Running, frozen.getPhase());
                assertEquals(hostname, frozen.getGuest().getHostname(), "last known guest info kept");
                proxy.hold(false); // everything held back now arrives late
                awaitHealthy(A, RECOVER);
                Summary.check("frozen agent: AgentResponsive False (Timeout), phase Running, guest info kept; "
                        + "released: Responsive again");

                int late = timeout + 1;
                proxy.delay(TimeUnit.SECONDS.toMillis(late));
                VirtualMachineStatus lateStatus = awaitStatus("late replies count as timeouts", RECOVER, A,
                        s -> is(s, ConditionTypes.AGENT_RESPONSIVE, "False"));
                assertEquals(ConditionTypes.REASON_TIMEOUT,
                        cond(lateStatus, ConditionTypes.AGENT_RESPONSIVE).getReason());
                proxy.delay(0);
                VirtualMachineStatus onTime = awaitHealthy(A, RECOVER);
                // a late reply taken for the next command would put another command's answer where these belong
                assertEquals(hostname, onTime.getGuest().getHostname());
                assertEquals(osId, onTime.getGuest().getOsInfo().getId());
                Summary.check("replies " + late + " s late (timeout " + timeout + " s): Timeout, Unresponsive; on time "
                        + "again: Responsive, hostname and osInfo still the guest's (no late reply mismatched)");

                long rssBefore = rssBytes(driverPid);
                proxy.flood(100L << 20);
                await("100 MiB flooded into the driver").atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1))
                        .until(() -> proxy.floodLeft() <= 0);
                long rssAfter = rssBytes(driverPid);
                VirtualMachineStatus flooded = awaitHealthy(A, RECOVER);
                assertEquals(hostname, flooded.getGuest().getHostname());
                assertTrue(rssAfter - rssBefore < (300L << 20), "the driver did not buffer the flood: RSS "
                        + (rssBefore >> 20) + " -> " + (rssAfter >> 20) + " MiB");
                Summary.check("100 MiB of garbage from the agent side: driver RSS " + (rssBefore >> 20) + " -> "
                        + (rssAfter >> 20) + " MiB, Responsive afterwards, guest info intact");

                int connectionsBefore = proxy.connections();
                proxy.floodAsReply(20L << 20); // a 20 MiB "reply" without a newline: over the driver's reply cap
                VirtualMachineStatus capped = awaitStatus("oversize reply is an agent error", RECOVER, A,
                        s -> is(s, ConditionTypes.AGENT_RESPONSIVE, "False") && ConditionTypes.REASON_AGENT_ERROR
                                .equals(cond(s, ConditionTypes.AGENT_RESPONSIVE).getReason()));
                String capMessage = capped.getAgent().getLastError().getMessage();
                assertTrue(capMessage.contains("byte limit"), capMessage);
                awaitStatus("healthy after the oversize reply", RECOVER, A,
                        s -> healthy(s) && proxy.floodLeft() <= 0);
                assertTrue(proxy.connections() > connectionsBefore, "the driver dropped the connection and made a new one");
                Summary.check("20 MiB reply without a newline: AgentResponsive False (AgentError '" + capMessage
                        + "'), connection dropped and re-opened, Responsive again; driver RSS "
                        + (rssBytes(driverPid) >> 20) + " MiB");

                // a hostile guest: 100,000 users, one of them with a 1 MiB name full of terminal escapes
                StringBuilder users = new StringBuilder("{\"return\":[{\"user\":\"");
                users.append("\\u001b]0;pwned\\u0007\\u001b[2J\\n".repeat(70_000)).append("\",\"login-time\":1.7e9}");
                for (int i = 1; i < 100_000; i++) {
                    users.append(",{\"user\":\"u").append(i).append("\\r\",\"login-time\":1.7e9}");
                }
                users.append("]}");
                proxy.answer("guest-get-users", users.toString());
                VirtualMachineStatus hostile = awaitStatus("the hostile user list cut to status' bounds", RECOVER, A,
                        s -> healthy(s) && s.getGuest().getTruncated() != null
                                && s.getGuest().getTruncated().stream().anyMatch(t -> t.startsWith("users")));
                int vmBytes = sys.kubectl("-n", NS, "get", "vm", A, "-o", "json").length();
                assertTrue(hostile.getGuest().getUsers().size() <= Bounds.USERS, json(hostile.getGuest().getTruncated()));
                for (var u : hostile.getGuest().getUsers()) {
                    assertTrue(u.getUserName().length() <= Bounds.GUEST_STRING, "user name of " + u.getUserName().length());
                    assertTrue(u.getUserName().chars().noneMatch(ch -> ch < 0x20 || ch == 0x7f),
                            "no control character in status: " + json(u.getUserName()));
                }
                assertTrue(vmBytes < 2 * Bounds.GUEST_STATUS_BYTES, "the VM object stays small: " + vmBytes + " bytes");
                assertEquals(hostname, hostile.getGuest().getHostname());
                awaitHealthy(B, RECOVER);
                Summary.check("guest reports " + (users.length() >> 20) + " MiB of users (100,000, one with a 1 MiB name of "
                        + "terminal escapes and newlines): status keeps " + hostile.getGuest().getUsers().size() + " with no control "
                        + "character, truncated " + hostile.getGuest().getTruncated() + ", VM object " + (vmBytes >> 10)
                        + " KiB; " + B + " unaffected");
                proxy.answer("guest-get-users", null);
                awaitStatus("the real user list again", RECOVER, A, s -> healthy(s) && s.getGuest().getTruncated() == null);
                Summary.check("the guest's own reply again: nothing truncated");

                proxy.goAway();
                VirtualMachineStatus gone = awaitStatus("agent gone", RECOVER, A,
                        s -> is(s, ConditionTypes.AGENT_RESPONSIVE, "False"));
                sleep(3000); // the agent stays away for a while
                proxy.comeBack();
                awaitHealthy(A, RECOVER);
                Summary.check("agent gone (connection and socket) for 3 s: AgentResponsive False ("
                        + cond(gone, ConditionTypes.AGENT_RESPONSIVE).getReason() + "), then Responsive by itself");

                assertEquals(comps, components(), "the driver survived every agent fault without a restart");
            }
        } finally {
            Files.deleteIfExists(socket);
            if (Files.exists(real)) {
                Files.move(real, socket);
            }
            Files.deleteIfExists(link);
            Files.deleteIfExists(linkDir);
        }
        awaitHealthy(A, RECOVER);
        Identity after = identity(A);
        assertEquals(before, after, "the VM's pod and QEMU are untouched by the agent faults and the driver kill");
        assertOneQemu(A);
        Summary.check("real socket back: Responsive; driver not restarted after its kill; same pod, no restart, same "
                + "QEMU pid and start time");
    }

    static long rssBytes(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS for " + pid);
    }

    @Test
    @Order(5)
    @DisplayName("5 two writers: an external writer patches labels and a condition of its own while operator and driver write")
    void externalWriterAlongsideOperatorAndDriver() throws Exception {
        Identity before = identity(B);
        Components comps = components();
        // the writer's label decides which policy applies, so every label flip makes the operator and the driver
        // write too: three writers on one VM at once
        sys.apply(policyYaml("rel-gold", "{app: rel, rel-tier: gold}", 20, 5));
        List<String> lost = new CopyOnWriteArrayList<>();
        AtomicInteger events = new AtomicInteger();
        AtomicBoolean externalSeen = new AtomicBoolean();
        Watch watch = vmResource(B).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, VirtualMachine v) {
                events.incrementAndGet();
                Set<String> types = new TreeSet<>();
                if (v.getStatus() != null && v.getStatus().getConditions() != null) {
                    v.getStatus().getConditions().forEach(c -> types.add(c.getType()));
                }
                Set<String> want = new TreeSet<>(OPERATOR_CONDITIONS);
                want.addAll(DRIVER_CONDITIONS);
                // events come in the order the API stored them: once there, the writer's entry must stay
                if (types.contains(EXTERNAL_CONDITION)) {
                    externalSeen.set(true);
                } else if (externalSeen.get()) {
                    want.add(EXTERNAL_CONDITION);
                }
                if (!types.containsAll(want)) {
                    lost.add("rv " + v.getMetadata().getResourceVersion() + ": has " + types);
                }
            }

            @Override
            public void onClose(WatcherException cause) {
                // closed at the end of the scenario
            }
        });
        try {
            ExecutorService writer = Executors.newSingleThreadExecutor();
            AtomicInteger conflicts = new AtomicInteger();
            AtomicInteger writes = new AtomicInteger();
            AtomicInteger lastRound = new AtomicInteger(-1);
            long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            Future<?> done = writer.submit(() -> {
                for (int round = 0; System.nanoTime() < end || round % 2 == 1; round++) {
                    String tier = round % 2 == 0 ? "silver" : "gold"; // ends on gold
                    vmResource(B).patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"labels\":"
                            + "{\"rel-tier\":\"" + tier + "\",\"rel-writer-round\":\"" + round + "\"}}}");
                    writes.incrementAndGet();
                    conflicts.addAndGet(writeExternalCondition(B, "round " + round));
                    writes.incrementAndGet();
                    lastRound.set(round);
                    sleep(50); // a busy writer, not a tight loop
                }
                return null;
            });
            done.get(2, TimeUnit.MINUTES);
            writer.shutdown();
            int rounds = lastRound.get() + 1;
            VirtualMachineStatus s = awaitStatus("converged on the gold policy and the writer's last round", RECOVER, B,
                    st -> healthy(st) && st.getAgentPolicy() != null
                            && Integer.valueOf(5).equals(st.getAgentPolicy().getResponseTimeout())
                            && Integer.valueOf(5).equals(st.getAgent().getResponseTimeout())
                            && cond(st, EXTERNAL_CONDITION) != null
                            && ("round " + lastRound.get()).equals(cond(st, EXTERNAL_CONDITION).getMessage()));
            assertTrue(s.getAgentPolicy().getPolicy().endsWith("/rel-gold"), json(s.getAgentPolicy()));
            assertEquals("gold", vm(B).getMetadata().getLabels().get("rel-tier"));
            int total = events.get();
            assertEquals(List.of(), lost, "every stored version of the VM kept every writer's conditions");
            Summary.check(rounds + " rounds of label flips (gold/silver: policy 5 s/" + timeout + " s) + own condition "
                    + "writes: " + writes.get() + " external writes (" + conflicts.get() + " resourceVersion conflicts "
                    + "retried), " + total + " versions of the VM watched in all, none without the operator's 3, the "
                    + "driver's 4 and (once there) the external condition");
            Summary.check("converged: policy rel-gold resolved and 5 s applied, external condition at its last round, "
                    + "label gold, VM healthy");

            // no hot loop: with the writer gone, nobody keeps rewriting the VM
            int settled = events.get();
            sleep(15_000); // observe a quiet period
            int idleWrites = events.get() - settled;
            assertTrue(idleWrites <= 2, "the VM was written " + idleWrites + " times in 15 s with no writer changing "
                    + "anything: a hot loop");
            Summary.check("no hot loop: " + idleWrites + " writes of the VM in the 15 s after the writer stopped");
        } finally {
            watch.close();
        }
        assertEquals(before, identity(B));
        assertEquals(comps, components());
        sys.kubectl("-n", NS, "delete", "guestagentpolicy", "rel-gold");
        awaitApplied(B, timeout);
        Summary.check("same pod and QEMU, operator and driver not restarted; gold policy deleted: back to "
                + timeout + " s");
    }

    /**
     * Writes the external writer's own condition as a careful third party does: its entry replaced in the list
     * as read, guarded by the resourceVersion read (a JSON patch "test"), re-read and retried on a conflict.
     *
     * @return how many conflicts it took
     */
    static int writeExternalCondition(String name, String message) {
        for (int attempt = 0;; attempt++) {
            VirtualMachine v = vm(name);
            List<Condition> merged = new ArrayList<>();
            Condition previous = null;
            for (Condition c : v.getStatus().getConditions()) {
                if (EXTERNAL_CONDITION.equals(c.getType())) {
                    previous = c;
                } else {
                    merged.add(c);
                }
            }
            Condition own = new Condition();
            own.setType(EXTERNAL_CONDITION);
            own.setStatus(Condition.TRUE);
            own.setReason("Audited");
            own.setMessage(message);
            own.setLastTransitionTime(previous != null ? previous.getLastTransitionTime()
                    : Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
            merged.add(own);
            ArrayNode patch = JSON.createArrayNode();
            patch.addObject().put("op", "test").put("path", "/metadata/resourceVersion")
                    .put("value", v.getMetadata().getResourceVersion());
            patch.addObject().put("op", "replace").put("path", "/status/conditions").set("value",
                    JSON.valueToTree(merged));
            try {
                vmResource(name).subresource("status").patch(new PatchContext.Builder().withPatchType(PatchType.JSON)
                        .withFieldManager(EXTERNAL_MANAGER).build(), patch.toString());
                return attempt;
            } catch (KubernetesClientException e) {
                if ((e.getCode() != 409 && e.getCode() != 422) || attempt > 100) {
                    throw e;
                }
            }
        }
    }

    @Test
    @Order(6)
    @DisplayName("6 operator kill -9 in the middle of a policy rollout over 20 VMs")
    void operatorKilledMidRollout() {
        Map<String, Identity> before = identities();
        StringBuilder yaml = new StringBuilder();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String name = String.format("roll-%02d", i);
            names.add(name);
            // Halted: the rollout is the operator's alone (no pod, no guest to boot)
            yaml.append("""
                    apiVersion: agentvisor.io/v1alpha1
                    kind: VirtualMachine
                    metadata: {name: %s, namespace: %s, labels: {app: roll}}
                    spec:
                      runStrategy: Halted
                      memory: 128Mi
                      boot: {kernel: %s}
                    ---
                    """.formatted(name, NS, allowedKernel()));
        }
        sys.apply(yaml.toString());
        sys.apply(policyYaml("roll", "{app: roll}", 10, 2));
        java.util.function.Supplier<Map<String, Integer>> resolved = () -> {
            Map<String, Integer> m = new java.util.TreeMap<>();
            for (VirtualMachine v : k.resources(VirtualMachine.class).inNamespace(NS).withLabel("app", "roll").list()
                    .getItems()) {
                vmUids.putIfAbsent(v.getMetadata().getName(), v.getMetadata().getUid());
                m.put(v.getMetadata().getName(), v.getStatus() == null || v.getStatus().getAgentPolicy() == null ? null
                        : v.getStatus().getAgentPolicy().getResponseTimeout());
            }
            return m;
        };
        Predicate<Map<String, Integer>> all = m -> m.size() == 20 && m.values().stream().allMatch(
                Integer.valueOf(rollTimeout)::equals);
        rollTimeout = 2;
        await("20 VMs resolved to responseTimeout 2").atMost(RECOVER).pollInterval(Duration.ofMillis(500))
                .ignoreExceptions().until(resolved::get, all);
        Summary.check("20 Halted VMs resolved to policy roll's responseTimeout 2");

        Components comps = components();
        rollTimeout = 9;
        k.resources(GuestAgentPolicy.class).inNamespace(NS).withName("roll")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"responseTimeout\":9}}");
        // killed the moment the edit is stored: the operator is somewhere in the rollout (or before it)
        HostProcesses.forceKill(comps.operatorPids().get(0));
        Map<String, Integer> atKill = resolved.get();
        long doneAtKill = atKill.values().stream().filter(Integer.valueOf(9)::equals).count();
        await("a new operator JVM").atMost(RECOVER).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                .until(() -> {
                    List<Long> now = HostProcesses.javaPids("/opt/agentvisor/operator/");
                    return now.size() == 1 && !now.equals(comps.operatorPids());
                });
        sys.awaitComponentsReady(Duration.ofMinutes(3));
        await("all 20 VMs show responseTimeout 9").atMost(RECOVER).pollInterval(Duration.ofMillis(500))
                .ignoreExceptions().until(resolved::get, all);
        await("policy status counts 20 VMs").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500))
                .ignoreExceptions().until(() -> {
                    GuestAgentPolicy p = k.resources(GuestAgentPolicy.class).inNamespace(NS).withName("roll").get();
                    return p.getStatus() != null && Integer.valueOf(20).equals(p.getStatus().getVirtualMachines());
                });
        for (String name : names) {
            VirtualMachineStatus s = status(name);
            assertEquals("GuestAgentPolicy/" + NS + "/roll", s.getAgentPolicy().getPolicy(), name);
            assertEquals(Phase.Stopped, s.getPhase(), name);
            assertNull(pod(name), name + ": Halted, no pod");
        }
        Components after = components();
        assertEquals(comps.operatorRestarts() + 1, after.operatorRestarts(), "the kubelet restarted the operator once");
        Summary.check("operator killed as the edit was stored (" + doneAtKill + "/20 VMs showed 9 right after); restarted by the kubelet (restarts "
                + comps.operatorRestarts() + " -> " + after.operatorRestarts() + "), it finished the rollout: all 20 "
                + "show 9, policy status.virtualMachines 20, all Stopped without a pod");
        for (String vm : RUNNING) {
            awaitHealthy(vm, RECOVER);
        }
        assertEquals(before, identities());
        assertEquals(comps.driverPids(), after.driverPids());
        Summary.check("the running VMs did not notice (same pods and QEMUs, healthy); driver not restarted");
        k.resources(VirtualMachine.class).inNamespace(NS).withLabel("app", "roll").delete();
        sys.kubectl("-n", NS, "delete", "guestagentpolicy", "roll");
        await("roll VMs deleted").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500))
                .until(() -> resolved.get().isEmpty());
    }

    @Test
    @Order(7)
    @DisplayName("7 bad specs: a kernel outside the allowed image directories, memory over the maximum")
    void badSpecs() {
        Map<String, Identity> before = identities();
        Components comps = components();
        // a real kernel, but not in the chart's imageDirs
        String outside = Repo.cache().resolve("guest").resolve("vmlinuz").toString();
        sys.apply(vmYaml("rel-outside", "256Mi", outside, ""));
        sys.apply(vmYaml("rel-17ti", "17Ti", allowedKernel(), "")); // a quantity the schema accepts
        Map<String, String> fields = Map.of("rel-outside", "spec.boot.kernel", "rel-17ti", "spec.memory");
        for (var e : fields.entrySet()) {
            String name = e.getKey();
            vmUids.put(name, vm(name).getMetadata().getUid());
            VirtualMachineStatus s = awaitStatus("SpecValid False naming " + e.getValue(), Duration.ofMinutes(1), name,
                    st -> is(st, ConditionTypes.SPEC_VALID, "False")
                            && cond(st, ConditionTypes.SPEC_VALID).getMessage().contains(e.getValue()));
            Condition why = cond(s, ConditionTypes.SPEC_VALID);
            assertEquals(ConditionTypes.REASON_INVALID_SPEC, why.getReason());
            assertEquals(Phase.Failed, s.getPhase());
            assertTrue(is(s, ConditionTypes.SCHEDULED, "False"), json(s));
            assertNull(pod(name), name + ": no pod for an invalid spec");
            assertEquals(List.of(), HostProcesses.qemuPids(vmUids.get(name)), name + ": no QEMU");
            Summary.check(name + ": SpecValid False (InvalidSpec) '" + why.getMessage() + "', phase Failed, "
                    + "Scheduled False (" + cond(s, ConditionTypes.SCHEDULED).getReason() + "), no pod, no QEMU");
        }
        assertTrue(status("rel-outside").getConditions().stream().noneMatch(c -> c.getType().equals("SpecValid")
                && c.getMessage().contains("spec.memory")), "the message names only the bad field");
        // fixed (and halted, so no guest boots for it): the condition clears
        vmResource("rel-outside").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"spec\":{\"runStrategy\":\"Halted\",\"boot\":{\"kernel\":\"" + allowedKernel() + "\"}}}");
        VirtualMachineStatus fixed = awaitStatus("SpecValid True once fixed", Duration.ofMinutes(1), "rel-outside",
                st -> is(st, ConditionTypes.SPEC_VALID, "True") && st.getPhase() == Phase.Stopped);
        assertNull(pod("rel-outside"));
        Summary.check("rel-outside fixed (allowed kernel, Halted): SpecValid True, phase " + fixed.getPhase()
                + ", no pod");
        for (String vm : RUNNING) {
            awaitHealthy(vm, RECOVER);
        }
        assertEquals(before, identities());
        assertEquals(comps, components());
        Summary.check("the other VMs kept running (same pods and QEMUs, healthy); operator and driver not restarted");
        for (String name : fields.keySet()) {
            vmResource(name).delete();
        }
        await("bad VMs deleted").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500))
                .until(() -> vm("rel-outside") == null && vm("rel-17ti") == null);
        Summary.check("both deletable");
    }

    @Test
    @Order(8)
    @DisplayName("8 an object stored before the schema bounded it: named, skipped; everything else keeps working")
    void objectStoredBeforeTheSchema() throws Exception {
        Map<String, Identity> before = identities();
        Components comps = components();
        String crdName = "virtualmachines.agentvisor.io";
        CustomResourceDefinition committed = Serialization.unmarshal(
                Files.readString(Repo.root().resolve("crds/" + crdName + ".yaml")), CustomResourceDefinition.class);
        CustomResourceDefinition loose = Serialization.clone(committed);
        loose.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema().getProperties().get("spec")
                .getProperties().get("guestAgent").getProperties().get("unresponsiveAfter").setMaximum(null);
        try {
            applyCrd(loose);
            await("the apiserver takes the loosened schema").atMost(RECOVER).pollInterval(Duration.ofMillis(250))
                    .ignoreExceptions().until(() -> {
                        sys.apply(vmYaml("rel-unreadable", "256Mi", allowedKernel(),
                                "guestAgent: {enabled: true, unresponsiveAfter: 3000000000}").replace(
                                "  guestAgent: {enabled: true}\n", ""));
                        return true;
                    });
        } finally {
            applyCrd(committed);
        }
        vmUids.put("rel-unreadable", sys.get("vm", "rel-unreadable", "-n", NS).path("metadata").path("uid").asText());
        String field = "spec.guestAgent.unresponsiveAfter: 3000000000 is out of range";
        Event warning = await("a Warning event naming the field").atMost(RECOVER).pollInterval(Duration.ofMillis(500))
                .until(() -> k.v1().events().inNamespace(NS).list().getItems().stream()
                        .filter(e -> "rel-unreadable".equals(e.getInvolvedObject().getName())
                                && "Unreadable".equals(e.getReason()) && e.getMessage().contains(field))
                        .findFirst().orElse(null), java.util.Objects::nonNull);
        Summary.check("VirtualMachine stored with unresponsiveAfter 3000000000 under a looser CRD, CRD restored: "
                + "Warning Unreadable '" + warning.getMessage() + "'");

        setPolicyTimeout(timeout == 3 ? 4 : 3);
        for (String vm : RUNNING) {
            awaitApplied(vm, timeout);
        }
        assertNull(pod("rel-unreadable"), "no pod for a VM whose spec cannot be read");
        assertEquals(List.of(), HostProcesses.qemuPids(vmUids.get("rel-unreadable")));
        Summary.check("a policy edit still resolves and applies on the other VMs (responseTimeout " + timeout
                + "); no pod, no QEMU for the unreadable one");

        Cmd.Result cli = BinAgentvisor.run(Map.of("KUBECONFIG", sys.cluster.kubeconfig().toString()), 120, "status", "-n",
                NS);
        // the CLI reads what it shows; when that includes the bad field it says so (exit 6), else it lists the VM
        assertTrue(cli.exitCode() == 0 || cli.exitCode() == 6 && cli.output().contains("unresponsiveAfter"), cli.output());
        for (String vm : List.of(A, B, "rel-unreadable")) {
            assertTrue(cli.output().contains(vm), vm + " listed: " + cli.output());
        }
        Summary.check("bin/agentvisor status -n " + NS + ": exit " + cli.exitCode() + ", every VM listed, the unreadable "
                + "one too");

        assertEquals(before, identities());
        assertEquals(comps, components());
        sys.awaitComponentsReady(Duration.ofMinutes(1));
        Summary.check("operator and driver Ready throughout, not restarted; the other VMs' pods and QEMUs untouched");
        k.genericKubernetesResources("agentvisor.io/v1alpha1", "VirtualMachine").inNamespace(NS)
                .withName("rel-unreadable").delete();
        await("the unreadable VM deletable").atMost(RECOVER).pollInterval(Duration.ofMillis(500))
                .until(() -> sys.get("vm", "rel-unreadable", "-n", NS) == null);
        Summary.check("and deletable");
    }

    static void applyCrd(CustomResourceDefinition crd) {
        crd.getMetadata().setResourceVersion(null);
        k.apiextensions().v1().customResourceDefinitions().resource(crd).forceConflicts().serverSideApply();
    }

    @Test
    @Order(9)
    @DisplayName("9 final accounting: the suite's VMs deleted, nothing of theirs left on the node")
    void finalAccounting() {
        for (String vm : RUNNING) {
            awaitHealthy(vm, RECOVER);
            assertOneQemu(vm);
        }
        Summary.check("both VMs healthy at the end with exactly one QEMU each");
        sys.kubectl("-n", NS, "delete", "vm", "--all", "--wait=true", "--timeout=180s");
        sys.kubectl("-n", NS, "delete", "guestagentpolicy", "--all");
        await("the suite's pods gone").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                .until(() -> k.pods().inNamespace(NS).list().getItems().isEmpty());
        sys.kubectl("delete", "namespace", NS, "--wait=true", "--timeout=180s");
        for (var e : vmUids.entrySet()) {
            assertEquals(List.of(), HostProcesses.qemuPids(e.getValue()), e.getKey() + ": no QEMU left");
            assertEquals(List.of(), k.pods().inAnyNamespace().withLabel("agentvisor.io/vm-uid", e.getValue()).list()
                    .getItems(), e.getKey() + ": no pod left");
        }
        Summary.check(vmUids.size() + " VMs deleted: no QEMU with their uids, no pod labelled with them, namespace gone");
        Path pods = sys.cluster.kubeletRootDir().resolve("pods");
        await("the kubelet cleaned up the pods' mounts and directories").atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofSeconds(1)).until(() -> {
                    String mounts = Files.readString(Path.of("/proc/mounts"));
                    return podUids.stream().noneMatch(u -> mounts.contains(u) || Files.exists(pods.resolve(u)));
                });
        Summary.check("no mount and no kubelet directory left of the " + podUids.size() + " VM pods");
        Set<String> tmpLeft = tmpEntries();
        tmpLeft.removeAll(tmpBefore);
        assertEquals(Set.of(), tmpLeft, "files of the suite left in /tmp");
        Summary.check("nothing of the suite left in /tmp (" + OUR_TMP_PREFIXES + ")");
    }
}
