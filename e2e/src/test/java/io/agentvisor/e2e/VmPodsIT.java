package io.agentvisor.e2e;

import static io.agentvisor.testsupport.ChartOnNode.condition;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentvisor.testsupport.ChartOnNode;
import io.agentvisor.testsupport.HostProcesses;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The whole system on a real node, installed by its Helm chart: each VM is its own unprivileged pod placed by
 * kube-scheduler, the node driver attaches to it and can be killed, deleted or rolled while VMs run, memory is
 * accounted by Kubernetes, a Service reaches into a guest, and the node's own components (kubelet, containerd)
 * can fail under running VMs. Scenarios run in order on shared VMs; each says what it checked (summary at the end).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(Summary.class)
class VmPodsIT {
    static final Duration BOOT = Duration.ofMinutes(3);
    static ChartOnNode sys;

    @BeforeAll
    static void install() {
        sys = ChartOnNode.install();
    }

    @AfterAll
    static void cleanUp() {
        if (sys != null) {
            sys.kubectlResult("delete", "vm", "--all", "--wait=true", "--timeout=120s");
            sys.kubectlResult("delete", "guestagentpolicy", "e2e", "--ignore-not-found");
        }
    }

    static String vmYaml(String name, String memory, String runStrategy, String extraSpec) {
        return """
                apiVersion: agentvisor.io/v1alpha1
                kind: VirtualMachine
                metadata:
                  name: %s
                  labels: {app: e2e}
                spec:
                  runStrategy: %s
                  cpu: {cores: 1}
                  memory: %s
                  boot:
                    kernel: %s/tiny-guest/vmlinuz
                    initrd: %s/tiny-guest/initramfs.cpio.gz
                    cmdline: console=ttyS0 quiet
                  guestAgent: {enabled: true}
                %s""".formatted(name, runStrategy, memory, sys.images, sys.images, extraSpec.indent(2));
    }

    static final String POLICY = """
            apiVersion: agentvisor.io/v1alpha1
            kind: GuestAgentPolicy
            metadata:
              name: e2e
            spec:
              selector: {matchLabels: {app: e2e}}
              priority: 10
              responseTimeout: %s
            """;

    static JsonNode awaitRunning(String vm) {
        AtomicReference<JsonNode> last = new AtomicReference<>();
        await(vm + " Running with a responsive agent and guest info").atMost(BOOT).pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    JsonNode v = sys.vm(vm);
                    last.set(v);
                    JsonNode st = v == null ? null : v.path("status");
                    return st != null && "Running".equals(st.path("phase").asText())
                            && "Responsive".equals(st.path("agent").path("state").asText())
                            && !st.path("guest").path("hostname").asText().isEmpty()
                            && st.path("qemu").path("pid").asLong() > 0;
                });
        return last.get();
    }

    /** The identity of a running VM: its pod's UID, its container's restart count, QEMU's pid on this machine. */
    record Identity(String podUid, int restarts, long qemuPid) {
    }

    static Identity identity(String vm) {
        JsonNode pod = sys.vmPod(vm);
        assertNotNull(pod, "pod of " + vm);
        return new Identity(pod.path("metadata").path("uid").asText(),
                pod.path("status").path("containerStatuses").path(0).path("restartCount").asInt(),
                sys.vm(vm).path("status").path("qemu").path("pid").asLong());
    }

    static void awaitAppliedTimeout(String vm, int seconds) {
        await(vm + " applies responseTimeout " + seconds).atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500))
                .until(() -> sys.vm(vm).path("status").path("agent").path("responseTimeout").asInt(Integer.MIN_VALUE) == seconds);
    }

    @Test
    @Order(1)
    void chartInstallsOperatorAndDriverAsPodsFromLocalImages() {
        String images = sys.kubectl("-n", ChartOnNode.NS, "get", "pods", "-o",
                "jsonpath={range .items[*]}{.spec.containers[0].image} {.spec.serviceAccountName}{\"\\n\"}{end}");
        assertTrue(images.contains("agentvisor.local/operator:") && images.contains("agentvisor.local/agent-driver:"),
                images);
        assertTrue(images.contains("agentvisor-operator") && images.contains("agentvisor-agent-driver"), images);
        Summary.check("operator and agent-driver run as pods from images built here, with the chart's service accounts");
        String opLog = sys.kubectl("-n", ChartOnNode.NS, "logs", "deploy/agentvisor-operator");
        assertTrue(opLog.contains("started"), opLog);
        String drvLog = sys.kubectl("-n", ChartOnNode.NS, "logs", "ds/agentvisor-agent-driver");
        assertFalse(drvLog.isBlank(), "driver log");
        Summary.check("kubectl logs works on both");
        await("the driver publishes its KVM probe on the node").atMost(Duration.ofMinutes(1))
                .until(() -> sys.get("node", "agentvisor-node").path("metadata").path("labels").has("agentvisor.io/kvm"));
        JsonNode node = sys.get("node", "agentvisor-node");
        // this machine's /dev/kvm cannot run guest code: the probe must say so, and why
        assertEquals("false", node.path("metadata").path("labels").path("agentvisor.io/kvm").asText(), node.toString());
        Summary.check("KVM probe with real guest code: false on this machine, reason published on the node");
    }

    @Test
    @Order(2)
    void vmBecomesAnUnprivilegedPodAndRunsWithGuestInfo() {
        sys.apply(POLICY.formatted("3"));
        sys.apply(vmYaml("alpha", "256Mi", "Always", """
                interfaces:
                  - name: default
                    ports:
                      - {name: http, port: 80}"""));
        JsonNode vm = awaitRunning("alpha");
        assertEquals("agentvisor-guest", vm.path("status").path("guest").path("hostname").asText());
        assertEquals("agentvisor-node", vm.path("status").path("nodeName").asText());
        Summary.check("VM alpha -> pod vm-alpha -> Running, agent Responsive, guest hostname from the agent");
        JsonNode pod = sys.vmPod("alpha");
        assertEquals("VirtualMachine", pod.path("metadata").path("ownerReferences").path(0).path("kind").asText());
        JsonNode psc = pod.path("spec").path("securityContext");
        JsonNode csc = pod.path("spec").path("containers").path(0).path("securityContext");
        assertTrue(psc.path("runAsNonRoot").asBoolean() || csc.path("runAsNonRoot").asBoolean(), pod.toString());
        assertFalse(csc.path("privileged").asBoolean(false));
        assertTrue(csc.path("readOnlyRootFilesystem").asBoolean(), csc.toString());
        assertEquals("ALL", csc.path("capabilities").path("drop").path(0).asText(), csc.toString());
        assertFalse(pod.path("spec").path("automountServiceAccountToken").asBoolean(true));
        Summary.check("vm-alpha is owned by the VM, non-root, unprivileged, all capabilities dropped, read-only root, no token");
        JsonNode res = pod.path("spec").path("containers").path(0).path("resources");
        String req = res.path("requests").path("memory").asText();
        assertEquals(req, res.path("limits").path("memory").asText(), res.toString());
        assertNotEquals("256Mi", req, "memory request must include QEMU's overhead: " + res);
        Summary.check("memory request = limit = VM memory + QEMU overhead (" + req + ")");
        long pid = vm.path("status").path("qemu").path("pid").asLong();
        assertTrue(HostProcesses.alive(pid), "status.qemu.pid " + pid + " is a live process on the node");
        assertTrue(HostProcesses.qemuPids(pod.path("metadata").path("uid").asText()).contains(pid)
                || HostProcesses.qemuPids("qemu").contains(pid), "status.qemu.pid is QEMU");
        Summary.check("status.qemu.pid is QEMU's pid on the node");
        String console = sys.kubectl("logs", "vm-alpha");
        assertTrue(console.contains("agentvisor-guest"), console);
        Summary.check("kubectl logs vm-alpha shows the guest's serial console");
    }

    @Test
    @Order(3)
    void aServiceReachesAServerInsideTheGuest() {
        sys.apply("""
                apiVersion: v1
                kind: Service
                metadata: {name: alpha-http}
                spec:
                  selector: {agentvisor.io/vm: alpha}
                  ports: [{name: http, port: 80, targetPort: http}]
                """);
        String ip = sys.kubectl("get", "service", "alpha-http", "-o", "jsonpath={.spec.clusterIP}").strip();
        AtomicReference<String> body = new AtomicReference<>("");
        await("the guest's web server through the Service " + ip).atMost(Duration.ofMinutes(1))
                .pollInterval(Duration.ofSeconds(1)).until(() -> {
                    var r = sys.cluster.inNodeNetwork(10, "curl", "-s", "-m", "3", "http://" + ip + "/");
                    body.set(r.output());
                    return r.exitCode() == 0 && r.output().contains("hello from the agentvisor tiny guest");
                });
        Summary.check("a Service selecting the VM's pod answers from the guest's own web server: " + body.get().strip());
        sys.kubectl("delete", "service", "alpha-http");
    }

    @Test
    @Order(4)
    void aPolicyEditAppliesLiveInTheSamePodAndQemu() {
        Identity before = identity("alpha");
        awaitAppliedTimeout("alpha", 3);
        sys.apply(POLICY.formatted("7"));
        awaitAppliedTimeout("alpha", 7);
        assertEquals(before, identity("alpha"));
        Summary.check("policy edit 3 -> 7 s applied live: same pod UID, same QEMU pid, no restart");
    }

    @Test
    @Order(5)
    void theDriverKilledDeletedAndRolledNeverRestartsAVm() {
        Identity before = identity("alpha");
        List<Long> drivers = HostProcesses.javaPids("/opt/agentvisor/agent-driver/");
        assertEquals(1, drivers.size(), "one driver JVM on the node: " + drivers);
        HostProcesses.forceKill(drivers.get(0));
        awaitDriverBackAndApplying(7, 2);
        assertEquals(before, identity("alpha"));
        Summary.check("driver kill -9: kubelet restarts it, it re-attaches and applies a policy edit; VM untouched");

        sys.kubectl("-n", ChartOnNode.NS, "delete", "pod", "-l", "app.kubernetes.io/component=agent-driver", "--wait=true");
        awaitDriverBackAndApplying(2, 4);
        assertEquals(before, identity("alpha"));
        Summary.check("driver pod deleted: the DaemonSet's new pod re-attaches; VM untouched");

        String image = sys.kubectl("-n", ChartOnNode.NS, "get", "ds", "agentvisor-agent-driver", "-o",
                "jsonpath={.spec.template.spec.containers[0].image}").strip();
        String rolledTag = image.substring(image.lastIndexOf(':') + 1) + "-rolled";
        sys.cluster.ctr("images", "tag", "--force", image, image.substring(0, image.lastIndexOf(':') + 1) + rolledTag);
        sys.helmUpgrade("agentDriver.image.tag=" + rolledTag);
        await("the DaemonSet rolled to the new image").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                .until(() -> sys.kubectl("-n", ChartOnNode.NS, "get", "pods", "-l", "app.kubernetes.io/component=agent-driver",
                        "-o", "jsonpath={range .items[*]}{.spec.containers[0].image} {end}").strip().endsWith(rolledTag));
        awaitDriverBackAndApplying(4, 3);
        assertEquals(before, identity("alpha"));
        Summary.check("DaemonSet rolled to a new image (helm upgrade, RollingUpdate): re-attached, timeout applied; VM untouched");
    }

    private static void awaitDriverBackAndApplying(int from, int to) {
        sys.awaitComponentsReady(Duration.ofMinutes(3));
        awaitAppliedTimeout("alpha", from);
        sys.apply(POLICY.formatted(Integer.toString(to)));
        awaitAppliedTimeout("alpha", to);
    }

    @Test
    @Order(6)
    void aVmBiggerThanTheNodeStaysUnscheduledWithTheSchedulersReason() {
        sys.apply(vmYaml("huge", "1Ti", "Always", ""));
        AtomicReference<JsonNode> scheduled = new AtomicReference<>();
        await("huge: Scheduled=False with the scheduler's reason").atMost(Duration.ofMinutes(1))
                .pollInterval(Duration.ofSeconds(1)).until(() -> {
                    JsonNode c = condition(sys.vm("huge"), "Scheduled");
                    scheduled.set(c);
                    return "False".equals(c.path("status").asText()) && c.path("message").asText().contains("Insufficient memory");
                });
        assertEquals("Pending", sys.vm("huge").path("status").path("phase").asText());
        Summary.check("1Ti VM on a 24Gi node: pod Pending, VM Scheduled=False: " + scheduled.get().path("message").asText());
        String columns = sys.kubectl("get", "vm", "huge");
        assertTrue(columns.contains("Pending"), columns);
        sys.kubectl("delete", "vm", "huge", "--wait=true");
        await("huge's pod removed with it").atMost(Duration.ofMinutes(1)).until(() -> sys.vmPod("huge") == null);
        Summary.check("deleting it removes its pod (owner reference, garbage collector)");
    }

    @Test
    @Order(7)
    void qemuKilledInsideItsPodIsRestartedAsTheRunStrategySays() {
        Identity before = identity("alpha");
        HostProcesses.forceKill(before.qemuPid());
        AtomicReference<Identity> after = new AtomicReference<>();
        await("alpha restarted by the kubelet (runStrategy Always)").atMost(BOOT).pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    JsonNode v = sys.vm("alpha");
                    if (!"Running".equals(v.path("status").path("phase").asText())
                            || !"Responsive".equals(v.path("status").path("agent").path("state").asText())) {
                        return false;
                    }
                    Identity now = identity("alpha");
                    after.set(now);
                    return now.qemuPid() != before.qemuPid() && now.restarts() > before.restarts();
                });
        assertEquals(before.podUid(), after.get().podUid(), "the same pod, its container restarted");
        Summary.check("QEMU kill -9: container restarted in the same pod (restarts " + before.restarts() + " -> "
                + after.get().restarts() + "), new QEMU pid, agent Responsive again");
    }

    @Test
    @Order(8)
    void kubeletAndContainerdMayDieUnderRunningVms() {
        Identity before = identity("alpha");
        sys.cluster.killComponent("kubelet");
        sys.cluster.killComponent("containerd");
        for (int i = 0; i < 10; i++) {
            assertTrue(HostProcesses.alive(before.qemuPid()), "QEMU keeps running without kubelet and containerd");
            sleep(500);
        }
        Summary.check("kubelet and containerd killed: QEMU runs on");
        sys.cluster.heal();
        awaitAppliedTimeout("alpha", 3);
        sys.apply(POLICY.formatted("5"));
        awaitAppliedTimeout("alpha", 5);
        assertEquals(before, identity("alpha"));
        Summary.check("both restarted: same pod, same QEMU, status and policy edits flow again");
    }

    @Test
    @Order(9)
    void theOperatorKilledTouchesNoVm() {
        Identity before = identity("alpha");
        List<Long> operators = HostProcesses.javaPids("/opt/agentvisor/operator/");
        assertEquals(1, operators.size(), operators.toString());
        HostProcesses.forceKill(operators.get(0));
        sys.awaitComponentsReady(Duration.ofMinutes(3));
        sys.apply(vmYaml("beta", "256Mi", "Always", ""));
        awaitRunning("beta");
        assertEquals(before, identity("alpha"));
        Summary.check("operator kill -9: restarted by the kubelet, creates new VMs' pods; alpha untouched");
    }

    @Test
    @Order(10)
    void haltingOrDeletingAVmStopsItsGuestGracefully() throws Exception {
        String halted = consoleWhile("beta", () -> sys.kubectl("patch", "vm", "beta", "--type", "merge", "-p",
                "{\"spec\":{\"runStrategy\":\"Halted\"}}"));
        assertTrue(halted.contains("reboot: Power down"), "the guest powered itself off: " + tail(halted));
        await("beta Stopped").atMost(Duration.ofMinutes(1))
                .until(() -> "Stopped".equals(sys.vm("beta").path("status").path("phase").asText()));
        Summary.check("runStrategy Halted: pod deleted, the guest shut itself down (console: reboot: Power down), VM Stopped");
        String deleted = consoleWhile("alpha", () -> sys.kubectl("delete", "vm", "alpha", "--wait=true"));
        assertTrue(deleted.contains("reboot: Power down"), "the guest powered itself off: " + tail(deleted));
        Summary.check("VM deleted: its pod removed after the guest shut itself down");
    }

    /**
     * The VM's serial console (its pod's log, followed) while {@code stop} makes its pod go away. The guest's own
     * power-off prints "reboot: Power down" there; QEMU told to quit, or killed, would not.
     */
    static String consoleWhile(String vm, Runnable stop) throws IOException, InterruptedException {
        Path console = Files.createTempFile("av-console", ".log");
        Process follow = new ProcessBuilder("kubectl", "--kubeconfig", sys.cluster.kubeconfig().toString(), "logs", "-f",
                "vm-" + vm).redirectErrorStream(true).redirectOutput(console.toFile()).start();
        try {
            sleep(1000);
            stop.run();
            await(vm + "'s pod gone").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> sys.vmPod(vm) == null);
            follow.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            return Files.readString(console, StandardCharsets.UTF_8);
        } finally {
            follow.destroyForcibly();
            Files.deleteIfExists(console);
        }
    }

    @Test
    @Order(11)
    void drainingTheNodeStopsVmsGracefullyAndTheyWaitUnscheduled() {
        sys.apply(vmYaml("gamma", "256Mi", "Always", ""));
        awaitRunning("gamma");
        try {
            sys.kubectl("drain", "agentvisor-node", "--ignore-daemonsets", "--force", "--delete-emptydir-data",
                    "--pod-selector", "app.kubernetes.io/name=agentvisor-vm", "--timeout=150s");
            AtomicReference<JsonNode> c = new AtomicReference<>();
            await("gamma waits unscheduled on the cordoned node").atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofSeconds(1)).until(() -> {
                        c.set(condition(sys.vm("gamma"), "Scheduled"));
                        return "False".equals(c.get().path("status").asText())
                                && c.get().path("message").asText().contains("unschedulable");
                    });
            Summary.check("kubectl drain: gamma's pod evicted and stopped, re-created pod waits: " + c.get().path("message").asText());
        } finally {
            sys.kubectl("uncordon", "agentvisor-node");
        }
        awaitRunning("gamma");
        Summary.check("uncordon: gamma runs again");
        sys.kubectl("delete", "vm", "gamma", "--wait=true");
    }

    static String tail(String s) {
        return s.length() > 800 ? s.substring(s.length() - 800) : s;
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
