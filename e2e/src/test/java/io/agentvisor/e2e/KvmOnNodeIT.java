package io.agentvisor.e2e;

import static io.agentvisor.testsupport.ChartOnNode.condition;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentvisor.testsupport.ChartOnNode;
import io.agentvisor.testsupport.KubeApiServer;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The node driver's KVM device plugin with the real kubelet. KVM does not run guest code on these machines (the
 * driver's probe fails: "failed to set MSR 0x10a"), so the driver is installed with the chart's test-only switch
 * {@code agentDriver.kvm.testOnlyAssumeAvailable} and the operator with {@code vm.acceleration=kvm}. What is
 * checked: the kubelet registers the resource and shows it allocatable; a non-root pod that requests it gets the
 * host's /dev/kvm (and one that does not, none); a VM pod requests it and its QEMU reaches KVM with the device in
 * place (and fails here, as this machine's KVM does); the plugin registers again after the kubelet is killed and
 * restarted; with the chart's defaults (the probe's verdict) the node stops offering it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(Summary.class)
class KvmOnNodeIT {
    static final String RESOURCE = "devices.agentvisor.io/kvm";
    static final Duration WAIT = Duration.ofMinutes(3);
    static ChartOnNode sys;
    static String node;

    @BeforeAll
    static void install() {
        sys = ChartOnNode.install();
        node = sys.kubectl("get", "nodes", "-o", "jsonpath={.items[0].metadata.name}").strip();
    }

    @AfterAll
    static void cleanUp() {
        if (sys != null) {
            sys.kubectlResult("delete", "vm", "kvm-vm", "--ignore-not-found", "--wait=true", "--timeout=120s");
            sys.kubectlResult("delete", "pod", "kvm-check", "no-kvm-check", "--ignore-not-found", "--wait=true",
                    "--timeout=60s");
            if (!restored) {
                sys.helmUpgrade();
                sys.awaitComponentsReady(Duration.ofMinutes(3));
            }
        }
    }

    static boolean restored;

    /** The node's allocatable count of the resource (the kubelet writes 1000 as "1k"), -1 when absent. */
    static long allocatable() {
        return count(sys.get("node", node).path("status").path("allocatable").path(RESOURCE).asText(""));
    }

    static long count(String quantity) {
        return quantity.isEmpty() ? -1 : new Quantity(quantity).getNumericalAmount().longValueExact();
    }

    static String driverLogs() {
        return sys.kubectl("-n", ChartOnNode.NS, "logs", "-l", "app.kubernetes.io/component=agent-driver",
                "--tail=-1");
    }

    /** The driver's registrations so far, -1 while its logs cannot be read (the kubelet restarting). */
    static int registrationsIfReadable() {
        KubeApiServer.KubectlResult r = sys.kubectlResult("-n", ChartOnNode.NS, "logs", "-l",
                "app.kubernetes.io/component=agent-driver", "--tail=-1");
        return r.exitCode() == 0 ? registrations(r.output()) : -1;
    }

    static int registrations(String logs) {
        return logs.split("KVM device plugin registered with the kubelet", -1).length - 1;
    }

    @Test
    @Order(1)
    void theProbeFailsHereSoTheNodeOffersNoKvmByDefault() {
        await("the driver's KVM verdict on the node").atMost(WAIT).pollInterval(Duration.ofSeconds(2))
                .until(() -> !sys.get("node", node).path("metadata").path("labels").path("agentvisor.io/kvm")
                        .asText("").isEmpty());
        JsonNode n = sys.get("node", node);
        assertEquals("false", n.path("metadata").path("labels").path("agentvisor.io/kvm").asText(),
                "KVM runs no guest code on these machines");
        // absent, or 0 when a kubelet checkpoint from an earlier run still names the resource
        long a = allocatable();
        assertTrue(a <= 0, "allocatable " + RESOURCE + " without the plugin: " + a);
        assertEquals(0, registrations(driverLogs()), "no plugin is served where the probe failed");
        Summary.check("probe failed (label kvm=false): no " + RESOURCE + " offered, no plugin registered");
    }

    @Test
    @Order(2)
    void withTheTestOnlySwitchTheKubeletShowsTheResourceAllocatable() {
        sys.helmUpgrade("agentDriver.kvm.testOnlyAssumeAvailable=true", "vm.acceleration=kvm");
        sys.awaitComponentsReady(Duration.ofMinutes(3));
        await(RESOURCE + " allocatable on the node").atMost(WAIT).pollInterval(Duration.ofSeconds(2))
                .until(() -> allocatable() == 1000);
        JsonNode n = sys.get("node", node);
        assertEquals(1000, count(n.path("status").path("capacity").path(RESOURCE).asText("")));
        assertEquals("false", n.path("metadata").path("labels").path("agentvisor.io/kvm").asText(),
                "the label still says what the probe found");
        String logs = driverLogs();
        assertEquals(1, registrations(logs), logs);
        assertTrue(logs.contains("although the KVM probe failed"), "the driver says it is assuming: " + logs);
        Summary.check("device plugin registered with the real kubelet: node allocatable " + RESOURCE + " = 1000");
    }

    @Test
    @Order(3)
    void aNonRootPodThatRequestsItGetsTheHostsKvmDeviceAndOneThatDoesNotGetsNone() throws IOException {
        String image = sys.kubectl("-n", ChartOnNode.NS, "get", "deploy", "-l", "app.kubernetes.io/component=operator",
                "-o", "jsonpath={.items[0].spec.template.spec.containers[0].env[?(@.name==\"AGENTVISOR_LAUNCHER_IMAGE\")].value}")
                .strip();
        sys.apply(checkPod("kvm-check", image, true) + "---\n" + checkPod("no-kvm-check", image, false));
        for (String pod : List.of("kvm-check", "no-kvm-check")) {
            await(pod + " running").atMost(WAIT).pollInterval(Duration.ofSeconds(1))
                    .until(() -> "Running".equals(sys.get("pod", pod).path("status").path("phase").asText()));
        }
        await("kvm-check's report").atMost(Duration.ofSeconds(30))
                .until(() -> sys.kubectl("logs", "kvm-check").contains("stat:"));
        // the host's device: character 10:232 (stat prints major:minor in hex)
        String withDevice = sys.kubectl("logs", "kvm-check");
        assertTrue(withDevice.contains("stat: character special file a:e8 "), withDevice);
        String without = sys.kubectl("logs", "no-kvm-check");
        assertTrue(without.contains("No such file or directory"), "no resource, no device: " + without);

        // who may open it: containerd copies the host node's owner and mode unless its CRI plugin sets
        // device_ownership_from_security_context (then the device belongs to the pod's runAsUser/runAsGroup)
        boolean ownedByPod = Files.readString(sys.cluster.dir().resolve("containerd/config.toml"))
                .matches("(?s).*device_ownership_from_security_context\\s*=\\s*true.*");
        int hostMode = (Integer) Files.getAttribute(Path.of("/dev/kvm"), "unix:mode") & 0777;
        int hostUid = (Integer) Files.getAttribute(Path.of("/dev/kvm"), "unix:uid");
        int hostGid = (Integer) Files.getAttribute(Path.of("/dev/kvm"), "unix:gid");
        String expectOwner = ownedByPod ? "65534:65534" : hostUid + ":" + hostGid;
        assertTrue(withDevice.contains("stat: character special file a:e8 " + Integer.toOctalString(hostMode) + " "
                + expectOwner), "mode " + Integer.toOctalString(hostMode) + ", owner " + expectOwner + ": " + withDevice);
        boolean openable = ownedByPod || (hostMode & 06) == 06;
        String open = sys.kubectlResult("exec", "kvm-check", "--", "sh", "-c", "exec 3<>/dev/kvm && echo opened")
                .output();
        assertEquals(openable, open.contains("opened"), open);
        if (!openable) {
            assertTrue(open.contains("Permission denied"), open);
        }
        Summary.check("pod requesting " + RESOURCE + ": /dev/kvm 10:232 owner " + expectOwner + " ("
                + (ownedByPod ? "containerd device_ownership_from_security_context" : "host mode "
                        + Integer.toOctalString(hostMode)) + "), uid 65534 " + (openable ? "opens it" : "cannot open it")
                + "; pod without the request: no /dev/kvm");
        sys.kubectl("delete", "pod", "kvm-check", "no-kvm-check", "--wait=false");
    }

    static String checkPod(String name, String image, boolean kvm) {
        return """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                spec:
                  automountServiceAccountToken: false
                  terminationGracePeriodSeconds: 1
                  securityContext:
                    runAsNonRoot: true
                    runAsUser: 65534
                    runAsGroup: 65534
                    seccompProfile: {type: RuntimeDefault}
                  containers:
                  - name: check
                    image: %s
                    imagePullPolicy: Never
                    command: ["/bin/sh", "-c", "echo stat: `stat -c '%%F %%t:%%T %%a %%u:%%g' /dev/kvm 2>&1`; exec sleep 3600"]
                    securityContext:
                      allowPrivilegeEscalation: false
                      readOnlyRootFilesystem: true
                      capabilities: {drop: [ALL]}
                    resources:
                      limits: {%s}
                """.formatted(name, image, kvm ? RESOURCE + ": 1, memory: 32Mi" : "memory: 32Mi");
    }

    @Test
    @Order(4)
    void aVmPodRequestsKvmAndItsQemuReachesTheDevice() {
        sys.apply("""
                apiVersion: agentvisor.io/v1alpha1
                kind: VirtualMachine
                metadata:
                  name: kvm-vm
                spec:
                  runStrategy: Once
                  memory: 256Mi
                  boot:
                    kernel: %s/tiny-guest/vmlinuz
                    initrd: %s/tiny-guest/initramfs.cpio.gz
                    cmdline: console=ttyS0 quiet
                """.formatted(sys.images, sys.images));
        await("the VM's pod created").atMost(WAIT).until(() -> sys.vmPod("kvm-vm") != null);
        JsonNode pod = sys.vmPod("kvm-vm");
        JsonNode qemu = pod.path("spec").path("containers").get(0);
        assertEquals("1", qemu.path("resources").path("limits").path(RESOURCE).asText());
        assertEquals("1", qemu.path("resources").path("requests").path(RESOURCE).asText());
        String argv = qemu.path("args").toString();
        assertTrue(argv.contains("\"-accel\",\"kvm\",\"-cpu\",\"host\""), argv);
        assertFalse(argv.contains("tcg"), argv);
        assertFalse(qemu.path("securityContext").path("privileged").asBoolean(), "still unprivileged");
        // placed by the scheduler on the node that offers KVM, then QEMU ends: it cannot run KVM guests here
        await("the VM pod ran and ended (runStrategy Once)").atMost(WAIT).pollInterval(Duration.ofSeconds(2))
                .until(() -> "Failed".equals(sys.vmPod("kvm-vm").path("status").path("phase").asText()));
        assertEquals(node, sys.vmPod("kvm-vm").path("spec").path("nodeName").asText(), "placed on the KVM node");
        String log = sys.kubectl("logs", "vm-kvm-vm");
        assertFalse(log.contains("No such file or directory"), "the device was there: " + log);
        assertTrue(log.contains("failed to set MSR") || log.contains("Permission denied"),
                "QEMU reached KVM and failed as this machine's KVM (or the device's owner) makes it: " + log);
        Summary.check("VM pod under vm.acceleration=kvm: requests 1 " + RESOURCE + ", -accel kvm -cpu host, placed; "
                + "QEMU ended with: " + (log.contains("failed to set MSR") ? "failed to set MSR (this host's KVM)"
                        : "Permission denied on /dev/kvm (device owner)"));
        sys.kubectl("delete", "vm", "kvm-vm", "--wait=true", "--timeout=120s");
    }

    @Test
    @Order(5)
    void thePluginRegistersAgainWhenTheKubeletRestarts() {
        int before = registrations(driverLogs());
        sys.cluster.killComponent("kubelet");
        sys.cluster.heal();
        await("the node Ready again").atMost(WAIT).pollInterval(Duration.ofSeconds(2))
                .until(() -> "True".equals(condition(sys.get("node", node), "Ready").path("status").asText()));
        await("registered with the new kubelet").atMost(WAIT).pollInterval(Duration.ofSeconds(2))
                .until(() -> registrationsIfReadable() > before);
        await(RESOURCE + " allocatable again").atMost(WAIT).pollInterval(Duration.ofSeconds(2))
                .until(() -> allocatable() == 1000);
        Summary.check("kubelet killed and restarted: the plugin served a new socket and registered again");
    }

    @Test
    @Order(6)
    void withTheChartsDefaultsTheNodeStopsOfferingIt() {
        sys.helmUpgrade();
        sys.awaitComponentsReady(Duration.ofMinutes(3));
        restored = true;
        await(RESOURCE + " no longer allocatable").atMost(WAIT).pollInterval(Duration.ofSeconds(2))
                .until(() -> allocatable() <= 0);
        assertEquals(0, registrations(driverLogs()), "the new driver (probe failed) serves no plugin");
        Summary.check("chart defaults again (probe verdict): allocatable " + RESOURCE + " back to 0");
    }
}
