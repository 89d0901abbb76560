package io.agentvisor.driver.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentvisor.api.v1alpha1.Agentvisor;
import io.agentvisor.api.v1alpha1.Boot;
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
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * What every driver IT stands on, everything real but the kubelet: a namespace (with the default ServiceAccount pod
 * admission looks up) and a Node on the shared apiserver, a fake kubelet root and the driver's run directory, and the
 * packaged driver as a process. The test plays the operator: it creates VMs, writes the operator's part of their
 * status and creates their pods bound to the node (no kubelet: they stay Pending, which the driver does not mind);
 * the QEMU is a tiny guest on the host (or the test's own), its socket directory linked where the kubelet would have
 * put the pod's run volume. Closing it stops the driver and the guest, deletes the pods, VMs and node, prints the
 * driver's log tail and deletes the directories.
 */
final class DriverTestbed implements AutoCloseable {
    static final ResourceDefinitionContext VMS = ResourceDefinitionContext.fromResourceType(VirtualMachine.class);

    final KubeApiServer api;
    final KubernetesClient k;
    final String ns;
    final String node;
    final Path kubelet;
    final Path run;
    final Path logs;
    private final List<String> pods = new ArrayList<>();
    private DriverProcess driver;
    private TinyGuest guest;
    private Path sockets;
    private Process qemu;

    private DriverTestbed(String ns, String node) throws IOException {
        this.api = KubeApiServer.shared();
        this.k = api.client();
        this.ns = ns;
        this.node = node;
        k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
                .serverSideApply();
        // no service-account controller runs: the namespace's default account, which pod admission looks up
        k.serviceAccounts().inNamespace(ns).resource(new ServiceAccountBuilder().withNewMetadata().withName("default")
                .withNamespace(ns).endMetadata().build()).serverSideApply();
        k.nodes().resource(new NodeBuilder().withNewMetadata().withName(node).endMetadata().build()).serverSideApply();
        this.kubelet = Repo.shortTempDir("avkl");
        this.run = Repo.shortTempDir("avdr");
        this.logs = Files.createTempFile("agent-driver", ".log");
    }

    /** The namespace, the node and the directories; the driver not started yet. */
    static DriverTestbed prepare(String ns, String node) throws IOException {
        return new DriverTestbed(ns, node);
    }

    /** The namespace, the node and the driver running, connected to the apiserver directly. */
    static DriverTestbed start(String ns, String node) throws IOException {
        DriverTestbed bed = prepare(ns, node);
        bed.startDriver(bed.api.kubeconfig());
        return bed;
    }

    /** Starts the packaged driver, reaching the API through this kubeconfig (e.g. a fault proxy's). */
    DriverProcess startDriver(Path kubeconfig) {
        driver = new DriverProcess(kubeconfig, node, run, kubelet, logs);
        driver.start();
        return driver;
    }

    DriverProcess driver() {
        return driver;
    }

    /** A VM booting the tiny guest (runStrategy Always, 256Mi), as the customizer leaves its spec; created. */
    VirtualMachine createTinyGuestVm(String name, Consumer<VirtualMachineSpec> customizer) {
        VirtualMachineSpec spec = new VirtualMachineSpec();
        spec.setRunStrategy(RunStrategy.Always);
        spec.setMemory(new Quantity("256Mi"));
        Boot boot = new Boot();
        boot.setKernel(TinyGuest.kernel().toString());
        boot.setInitrd(TinyGuest.initrd().toString());
        spec.setBoot(boot);
        customizer.accept(spec);
        return createVm(name, spec);
    }

    VirtualMachine createVm(String name, VirtualMachineSpec spec) {
        VirtualMachine vm = new VirtualMachine();
        vm.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
        vm.setSpec(spec);
        return k.resource(vm).create();
    }

    /** An effective agent policy as the operator resolves it (source Default); the caller may add to it. */
    static Map<String, Object> agentPolicy(int responseTimeout, int unresponsiveAfter, String usersPoll,
            String osInfoPoll) {
        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("enabled", true);
        policy.put("responseTimeout", responseTimeout);
        policy.put("unresponsiveAfter", unresponsiveAfter);
        policy.put("pollIntervals", Map.of("users", usersPoll, "osInfo", osInfoPoll, "interfaces", "60s",
                "filesystems", "60s", "agentInfo", "60s"));
        policy.put("source", "Default");
        return policy;
    }

    /**
     * The operator's part of the VM's status, written by server-side apply with the operator's field manager: this
     * agent policy and the node.
     */
    void operatorStatus(String vm, Map<String, Object> agentPolicy) {
        GenericKubernetesResource st = new GenericKubernetesResource();
        st.setApiVersion(Agentvisor.API_VERSION);
        st.setKind("VirtualMachine");
        st.setMetadata(new ObjectMetaBuilder().withName(vm).withNamespace(ns).build());
        st.setAdditionalProperty("status", Map.of("agentPolicy", agentPolicy, "nodeName", node));
        k.genericKubernetesResources(VMS).inNamespace(ns).withName(vm).subresource("status").patch(
                new PatchContext.Builder().withPatchType(PatchType.SERVER_SIDE_APPLY)
                        .withFieldManager(Agentvisor.OPERATOR_FIELD_MANAGER).withForce(true).build(), st);
    }

    /**
     * The VM's pod as the operator creates it (the contract's labels, owned by the VM, container qemu), bound to the
     * node, as the customizer leaves it; created.
     */
    Pod createPod(VirtualMachine vm, String name, UnaryOperator<PodBuilder> customizer) {
        String vmName = vm.getMetadata().getName();
        String uid = vm.getMetadata().getUid();
        PodBuilder pod = new PodBuilder().withNewMetadata().withName(name).withNamespace(ns)
                .withLabels(Map.of("app.kubernetes.io/name", "agentvisor-vm", "agentvisor.io/vm", vmName,
                        "agentvisor.io/vm-uid", uid))
                .addNewOwnerReference().withApiVersion(Agentvisor.API_VERSION).withKind("VirtualMachine")
                .withName(vmName).withUid(uid).withController(true).endOwnerReference().endMetadata()
                .withNewSpec().withNodeName(node).withRestartPolicy("Always").withAutomountServiceAccountToken(false)
                .addNewContainer().withName("qemu").withImage("agentvisor/vm-launcher:test").endContainer()
                .endSpec();
        pods.add(name);
        return k.pods().inNamespace(ns).resource(customizer.apply(pod).build()).create();
    }

    /** Where the driver looks for the pod's run volume (the kubelet's emptyDir path for agentvisor-run). */
    Path runVolume(String podUid) {
        return kubelet.resolve("pods").resolve(podUid).resolve("volumes").resolve("kubernetes.io~empty-dir")
                .resolve("agentvisor-run");
    }

    /** Puts the pod's run volume on the node as a link to this socket directory (replacing an earlier one). */
    Path linkRunVolume(Pod pod, Path sockets) throws IOException {
        Path volume = runVolume(pod.getMetadata().getUid());
        Files.createDirectories(volume.getParent());
        Files.deleteIfExists(volume);
        return Files.createSymbolicLink(volume, sockets);
    }

    /** Boots a tiny guest as the pod's QEMU (closing the one booted before, as a container restart would). */
    TinyGuest bootGuest(Pod pod) throws IOException {
        if (guest != null) {
            guest.close();
        }
        guest = TinyGuest.boot();
        linkRunVolume(pod, guest.qmpSocket().getParent());
        return guest;
    }

    /**
     * A real QEMU without a guest ({@code -machine none}) as the pod's QEMU, with this agent socket as its guest
     * agent's; the pod's run volume linked to their directory.
     */
    Process startBareQemu(Pod pod, Path agentSocket) throws IOException {
        sockets = Repo.shortTempDir("avqm");
        // the driver refuses a symlink as agent socket: the bound socket itself moves (it stays connectable)
        Files.move(agentSocket, sockets.resolve("qga.sock"));
        qemu = new ProcessBuilder("qemu-system-x86_64", "-machine", "none", "-nodefaults", "-display", "none",
                "-qmp", "unix:" + sockets.resolve("qmp.sock") + ",server=on,wait=off")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        linkRunVolume(pod, sockets);
        return qemu;
    }

    VirtualMachineStatus status(String vm) {
        VirtualMachine v = k.resources(VirtualMachine.class).inNamespace(ns).withName(vm).get();
        return v == null || v.getStatus() == null ? new VirtualMachineStatus() : v.getStatus();
    }

    /** A value that may throw while it is not there yet (e.g. an exec while the guest reboots). */
    interface Get<T> {
        T get() throws Exception;
    }

    /** Polls until ok; else fails naming what, the last value and the driver's log tail. */
    <T> T await(String what, Duration max, Get<T> get, Predicate<T> ok) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        T last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = get.get();
                if (ok.test(last)) {
                    return last;
                }
            } catch (Exception | AssertionError e) {
                // keep trying until the deadline
            }
            Thread.sleep(250);
        }
        String shown = last instanceof String l && l.length() > 1000 ? "(" + l.length() + " chars)" : json(last);
        throw new AssertionError(what + " not reached within " + max + "; last: " + shown + "\ndriver log:\n"
                + tail(log(), 60));
    }

    String log() {
        return driver == null ? "" : driver.log();
    }

    static String tail(String s, int lines) {
        String[] l = s.split("\n");
        return String.join("\n", Arrays.copyOfRange(l, Math.max(0, l.length - lines), l.length));
    }

    static String json(Object o) {
        try {
            return new ObjectMapper().writeValueAsString(o);
        } catch (IOException e) {
            return String.valueOf(o);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        if (driver != null) {
            driver.close();
        }
        if (qemu != null) {
            qemu.destroy();
            qemu.waitFor(10, TimeUnit.SECONDS);
        }
        if (guest != null) {
            if (guest.process().isAlive()) {
                Signals.cont(guest.pid()); // a test may have left it frozen
            }
            guest.close();
        }
        for (String pod : pods) {
            k.pods().inNamespace(ns).withName(pod).withGracePeriod(0).delete();
        }
        k.genericKubernetesResources(VMS).inNamespace(ns).delete();
        k.nodes().withName(node).delete();
        System.out.println("---- driver log ----\n" + tail(log(), 200));
        Repo.deleteRecursively(run);
        Repo.deleteRecursively(kubelet);
        if (sockets != null) {
            Repo.deleteRecursively(sockets);
        }
        Files.deleteIfExists(logs);
    }
}
