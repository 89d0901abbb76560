package io.agentvisor.driver.kube;

import io.agentvisor.agent.AgentRuntime;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VmPods;
import io.agentvisor.driver.poll.AgentMetrics;
import io.agentvisor.driver.poll.AgentPoller;
import io.agentvisor.driver.poll.AgentSettings;
import io.agentvisor.driver.poll.AgentView;
import io.agentvisor.driver.qemu.Accelerator;
import io.agentvisor.driver.qemu.ProcFs;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The node half (KubeVirt's virt-handler): watches the VM pods bound to this node and the VirtualMachines they
 * run, and hands each pod to its {@link VmRuntime}. It never creates, deletes or signals a pod or a QEMU: the
 * kubelet runs them, and stopping or killing the driver leaves every VM running for the next driver to attach to.
 */
public final class NodeDriver implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NodeDriver.class);
    private static final Duration PUBLISH_RETRY = Duration.ofSeconds(30);

    private final DriverConfig config;
    private final KubernetesClient client;
    private final KubeOps kube;
    private final ProcFs proc;
    private final AgentRuntime agents;
    private final AgentMetrics metrics;
    private final ScheduledExecutorService pollScheduler;
    private final ScheduledExecutorService timers;
    private final ExecutorService actors;
    private final Map<String, VmRuntime> runtimes = new ConcurrentHashMap<>();
    private final Map<String, VirtualMachine> vms = new ConcurrentHashMap<>();
    /** VM uid -> the read problem last logged for it (unreadable VMs only). */
    private final Map<String, String> unreadableLogged = new ConcurrentHashMap<>();
    private volatile Accelerator.Verdict kvm;
    private SharedIndexInformer<VirtualMachine> vmInformer;
    private SharedIndexInformer<Pod> podInformer;
    private final ScheduledExecutorService operationsThread;
    private final AgentOperations operations;

    public NodeDriver(DriverConfig config, KubernetesClient client, AgentMetrics metrics) {
        this.config = config;
        this.client = client;
        this.kube = new KubeOps(client, config.nodeName());
        this.proc = new ProcFs(config.procDir());
        this.metrics = metrics;
        this.agents = AgentRuntime.create();
        this.pollScheduler = Executors.newSingleThreadScheduledExecutor(named("agent-poller"));
        this.timers = Executors.newSingleThreadScheduledExecutor(named("vm-timers"));
        this.actors = Executors.newCachedThreadPool(named("vm"));
        this.operationsThread = Executors.newSingleThreadScheduledExecutor(named("agent-operations"));
        this.operations = new AgentOperations(this, client, operationsThread);
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Watches the VMs first (so that a pod's VM, with the agent settings it had, is known when the pod is seen),
     * then the VM pods bound to this node; both informers block until their first list is in (a failed list is
     * retried: see {@link Informers}).
     */
    public void start() throws IOException {
        Files.createDirectories(config.runDir());
        vmInformer = Informers.inform(client.resources(VirtualMachine.class).inAnyNamespace(),
                new ResourceEventHandler<>() {
            @Override
            public void onAdd(VirtualMachine vm) {
                vmChanged(vm);
            }

            @Override
            public void onUpdate(VirtualMachine old, VirtualMachine vm) {
                vmChanged(vm);
            }

            @Override
            public void onDelete(VirtualMachine vm, boolean finalStateUnknown) {
                String uid = vm.getMetadata().getUid();
                vms.remove(uid);
                unreadableLogged.remove(uid);
                runtimes.values().stream().filter(r -> uid.equals(r.vmUid())).forEach(r -> r.vm(null));
            }
        });
        podInformer = Informers.inform(client.pods().inAnyNamespace().withField("spec.nodeName", config.nodeName())
                .withLabel(VmPods.APP_LABEL, VmPods.APP), new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(Pod pod) {
                        runtimeFor(pod).update(pod);
                    }

                    @Override
                    public void onUpdate(Pod old, Pod pod) {
                        runtimeFor(pod).update(pod);
                    }

                    @Override
                    public void onDelete(Pod pod, boolean finalStateUnknown) {
                        VmRuntime r = runtimes.get(pod.getMetadata().getUid());
                        if (r != null) {
                            r.podDeleted();
                        }
                    }
                });
        removeStaleLinks();
        operations.start();
        LOG.infof("agent-driver for node %s: %d VM pod(s) bound here, watching pods with spec.nodeName=%s and %s=%s",
                config.nodeName(), runtimes.size(), config.nodeName(), VmPods.APP_LABEL, VmPods.APP);
    }

    private void vmChanged(VirtualMachine vm) {
        String uid = vm.getMetadata().getUid();
        if (vm.unreadable() != null) {
            // stored before the schema refused one of its fields (TolerantReader read what it could): said once per
            // problem; the VM's pod keeps the settings of the last readable version, if this driver saw one
            if (!vm.unreadable().equals(unreadableLogged.put(uid, vm.unreadable()))) {
                LOG.warnf("VirtualMachine %s/%s cannot be read: %s", vm.getMetadata().getNamespace(),
                        vm.getMetadata().getName(), vm.unreadable());
            }
            VirtualMachine known = vms.get(uid);
            if (known != null && known.unreadable() == null) {
                return;
            }
        } else {
            unreadableLogged.remove(uid);
        }
        vms.put(uid, vm);
        runtimes.values().stream().filter(r -> uid.equals(r.vmUid())).forEach(r -> r.vm(vm));
    }

    /** Links in the run directory for pods no longer bound here (they went while no driver ran). */
    private void removeStaleLinks() throws IOException {
        Set<String> live = podInformer.getStore().list().stream().map(p -> p.getMetadata().getUid())
                .collect(Collectors.toSet());
        try (var entries = Files.list(config.runDir())) {
            for (Path p : entries.toList()) {
                if (Files.isSymbolicLink(p) && !live.contains(p.getFileName().toString())) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /**
     * Probes KVM and publishes the verdict on the Node (the first time, and again only when it changed), retrying
     * until it is there.
     */
    public Accelerator.Verdict probeKvm() {
        Accelerator.Verdict v = Accelerator.probeKvm(config.qemuBinary(), config.kvmDevice(), config.runDir(),
                config.kvmProbeTimeout());
        Accelerator.Verdict before = kvm;
        kvm = v;
        if (before == null || before.works() != v.works()) {
            publishKvm(v);
        }
        return v;
    }

    private void publishKvm(Accelerator.Verdict v) {
        try {
            Node n = kube.publishKvm(v.works(), v.reason());
            kube.nodeEvent(n, v.works() ? "Normal" : "Warning", v.works() ? "KvmUsable" : "KvmUnusable",
                    (v.works() ? "KVM runs guest code here: " : "KVM does not run guest code here; VM pods use TCG: ")
                            + v.reason());
            LOG.infof("node %s: %s=%s (%s)", config.nodeName(), KubeOps.KVM_LABEL, v.works(), v.reason());
        } catch (KubernetesClientException e) {
            LOG.warnf("node %s: KVM verdict not published (%d: %s); trying again in %d s", config.nodeName(),
                    e.getCode(), e.getMessage(), PUBLISH_RETRY.toSeconds());
            try {
                timers.schedule(() -> publishKvm(v), PUBLISH_RETRY.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                // the driver is stopping
            }
        }
    }

    /** The KVM probe's verdict, null until it ran. */
    Accelerator.Verdict kvmVerdict() {
        return kvm;
    }

    private VmRuntime runtimeFor(Pod pod) {
        return runtimes.computeIfAbsent(pod.getMetadata().getUid(), uid -> new VmRuntime(this, uid, serial()));
    }

    /** A serial executor over the shared pool: one VM's work in order, different VMs in parallel. */
    private Executor serial() {
        return new SerialExecutor(actors);
    }

    VirtualMachine vm(String uid) {
        return uid == null ? null : vms.get(uid);
    }

    VirtualMachine vmByName(String namespace, String name) {
        return vms.values().stream().filter(v -> namespace.equals(v.getMetadata().getNamespace())
                && name.equals(v.getMetadata().getName())).findFirst().orElse(null);
    }

    /** The live agent connection of a VM attached here (the one its poller uses), or null. */
    io.agentvisor.agent.GuestAgent agentOf(String vmUid) {
        return runtimes.values().stream().filter(r -> vmUid.equals(r.vmUid()) && isCurrent(r))
                .map(VmRuntime::liveAgent).filter(java.util.Objects::nonNull).findFirst().orElse(null);
    }

    /**
     * Whether {@code r} speaks for its VM on this node: of the pods of one VM seen here (an old one going away, its
     * replacement already there, both named vm-<name>), only the newest writes the VM's status.
     */
    boolean isCurrent(VmRuntime r) {
        String vmUid = r.vmUid();
        return runtimes.values().stream().filter(o -> o != r && vmUid != null && vmUid.equals(o.vmUid()))
                .noneMatch(o -> o.createdAfter(r));
    }

    void forget(VmRuntime r) {
        runtimes.remove(r.podUid, r);
    }

    /** VM pods whose QEMU the driver is attached to. */
    public int runningVms() {
        return (int) runtimes.values().stream().filter(r -> r.attached).count();
    }

    /** Both watches are up: the driver sees its node's VM pods and their VMs (the DaemonSet pod's readiness). */
    public boolean watching() {
        return podInformer != null && vmInformer != null && podInformer.isWatching() && vmInformer.isWatching();
    }

    AgentPoller newPoller(String vm, Path socket, AgentSettings settings, Consumer<AgentView> onChange) {
        return new AgentPoller(vm, agents.open(socket), settings, pollScheduler, Clock.systemUTC(), metrics, onChange);
    }

    DriverConfig config() {
        return config;
    }

    KubeOps kube() {
        return kube;
    }

    ProcFs proc() {
        return proc;
    }

    ScheduledExecutorService timers() {
        return timers;
    }

    /** Stops watching and polling; every VM pod and its QEMU keep running for the next driver. */
    @Override
    public void close() {
        if (podInformer != null) {
            podInformer.close();
        }
        if (vmInformer != null) {
            vmInformer.close();
        }
        operations.close();
        operationsThread.shutdownNow();
        runtimes.values().forEach(VmRuntime::close);
        actors.shutdown();
        try {
            actors.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timers.shutdownNow();
        pollScheduler.shutdownNow();
        agents.close();
    }
}
