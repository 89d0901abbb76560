package io.agentvisor.driver.kube;

import io.agentvisor.agent.AgentRuntime;
import io.agentvisor.api.v1alpha1.Agentvisor;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.driver.poll.AgentMetrics;
import io.agentvisor.driver.poll.AgentPoller;
import io.agentvisor.driver.poll.AgentSettings;
import io.agentvisor.driver.poll.AgentView;
import io.agentvisor.driver.qemu.Accelerator;
import io.agentvisor.driver.qemu.Names;
import io.agentvisor.driver.qemu.ProcFs;
import io.agentvisor.driver.qemu.QemuLauncher;
import io.agentvisor.driver.qemu.VmPaths;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The node half (virt-handler and virt-launcher in one process): adopts the QEMUs found on disk, watches the VMs
 * labelled for this node and hands each to its {@link VmRuntime}. Stopping the driver never stops a VM.
 */
public final class NodeDriver implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NodeDriver.class);

    private final DriverConfig config;
    private final KubernetesClient client;
    private final KubeOps kube;
    private final QemuLauncher launcher;
    private final AgentRuntime agents;
    private final AgentMetrics metrics;
    private final ScheduledExecutorService pollScheduler;
    private final ScheduledExecutorService timers;
    private final ExecutorService actors;
    private final Map<String, VmRuntime> runtimes = new ConcurrentHashMap<>();
    private final AtomicInteger running = new AtomicInteger();
    private volatile String accelerator;
    private SharedIndexInformer<VirtualMachine> informer;
    private FileChannel lockChannel;
    private FileLock lock;

    public NodeDriver(DriverConfig config, KubernetesClient client, AgentMetrics metrics) {
        this.config = config;
        this.client = client;
        this.kube = new KubeOps(client, config.nodeName());
        this.launcher = new QemuLauncher(config.qemuBinary(), new ProcFs());
        this.metrics = metrics;
        this.agents = AgentRuntime.create();
        this.pollScheduler = Executors.newSingleThreadScheduledExecutor(named("agent-poller"));
        this.timers = Executors.newSingleThreadScheduledExecutor(named("vm-timers"));
        this.actors = Executors.newCachedThreadPool(named("vm"));
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Claims the state directory, adopts what runs, then starts watching the API. */
    public void start() throws IOException {
        claimStateDir();
        adoptAll();
        informer = client.resources(VirtualMachine.class).inAnyNamespace()
                .withLabel(Agentvisor.NODE_LABEL, config.nodeName()).inform(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(VirtualMachine vm) {
                        runtimeFor(vm).update(vm);
                    }

                    @Override
                    public void onUpdate(VirtualMachine old, VirtualMachine vm) {
                        runtimeFor(vm).update(vm);
                    }

                    @Override
                    public void onDelete(VirtualMachine vm, boolean finalStateUnknown) {
                        VmRuntime r = runtimes.get(vm.getMetadata().getUid());
                        if (r != null) {
                            r.lost();
                        }
                    }
                }, 0);
        // QEMUs on disk whose VM the API does not list for this node any more: deleted while the driver was down
        // (the finalizer was removed by hand) or moved away. They must not run on unobserved.
        for (VmRuntime r : runtimes.values()) {
            boolean listed = informer.getStore().list().stream().anyMatch(v -> r.uid.equals(v.getMetadata().getUid()));
            if (!listed) {
                r.lost();
            }
        }
        LOG.infof("agent-driver for node %s: %d VM(s) on disk, watching VMs labelled %s=%s", config.nodeName(),
                runtimes.size(), Agentvisor.NODE_LABEL, config.nodeName());
    }

    /** One driver per state directory, and a state directory belongs to one node for good. */
    private void claimStateDir() throws IOException {
        VmPaths.createPrivateDir(config.stateDir());
        Files.createDirectories(VmPaths.vmsDir(config.stateDir()));
        lockChannel = FileChannel.open(config.stateDir().resolve("driver.lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        lock = lockChannel.tryLock();
        if (lock == null) {
            throw new IOException("another agent-driver uses " + config.stateDir() + " (driver.lock is held)");
        }
        Path nodeFile = config.stateDir().resolve("node");
        if (Files.exists(nodeFile)) {
            String owner = Files.readString(nodeFile).trim();
            if (!owner.equals(config.nodeName())) {
                throw new IOException(config.stateDir() + " belongs to node " + owner + ", not " + config.nodeName()
                        + ": give each driver its own state directory");
            }
        } else {
            VmPaths.writeAtomically(nodeFile, (config.nodeName() + "\n").getBytes());
        }
    }

    private void adoptAll() throws IOException {
        try (var dirs = Files.list(VmPaths.vmsDir(config.stateDir()))) {
            for (Path d : dirs.toList()) {
                String uid = d.getFileName().toString();
                try {
                    Names.requireUid(uid);
                } catch (IllegalArgumentException e) {
                    LOG.warnf("ignoring %s: not a VM directory", d);
                    continue;
                }
                VmRuntime r = new VmRuntime(this, uid, serial());
                runtimes.put(uid, r);
                r.adopt();
            }
        }
    }

    private VmRuntime runtimeFor(VirtualMachine vm) {
        return runtimes.computeIfAbsent(vm.getMetadata().getUid(), uid -> new VmRuntime(this, uid, serial()));
    }

    /** A serial executor over the shared pool: one VM's work in order, different VMs in parallel. */
    private Executor serial() {
        return new SerialExecutor(actors);
    }

    void forget(VmRuntime r) {
        runtimes.remove(r.uid, r);
    }

    void runningChanged() {
        running.set((int) runtimes.values().stream().filter(VmRuntime::running).count());
    }

    public int runningVms() {
        return (int) runtimes.values().stream().filter(VmRuntime::running).count();
    }

    AgentPoller newPoller(String vm, Path socket, AgentSettings settings, Consumer<AgentView> onChange) {
        return new AgentPoller(vm, agents.open(socket), settings, pollScheduler, Clock.systemUTC(), metrics, onChange);
    }

    /** Detected on first use (a probe start of QEMU), then fixed for the driver's life. */
    synchronized String accelerator() {
        if (accelerator == null) {
            accelerator = Accelerator.resolve(config.accelerator(), config.qemuBinary());
        }
        return accelerator;
    }

    String acceleratorIfKnown() {
        return accelerator;
    }

    DriverConfig config() {
        return config;
    }

    KubeOps kube() {
        return kube;
    }

    QemuLauncher launcher() {
        return launcher;
    }

    ScheduledExecutorService timers() {
        return timers;
    }

    /**
     * Stops every running VM gracefully (agent shutdown, ACPI, quit, kill: the same plan as any stop), waiting at
     * most {@code limit}, then closes. For drivers whose VMs must not outlive them.
     */
    public void stopVmsAndClose(Duration limit) {
        var stops = runtimes.values().stream().filter(VmRuntime::running).map(VmRuntime::stopForDriverExit)
                .toArray(java.util.concurrent.CompletableFuture[]::new);
        if (stops.length > 0) {
            LOG.infof("stopping %d VM(s) before exiting (stop-vms-on-exit)", stops.length);
            try {
                java.util.concurrent.CompletableFuture.allOf(stops).get(limit.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                LOG.warnf("not every VM stopped within %d s", limit.toSeconds());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        close();
    }

    /** Stops watching and polling; every QEMU keeps running for the next driver to adopt. */
    @Override
    public void close() {
        if (informer != null) {
            informer.close();
        }
        timers.shutdownNow();
        pollScheduler.shutdownNow();
        agents.close();
        actors.shutdown();
        try {
            actors.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (lock != null) {
                lock.release();
            }
            if (lockChannel != null) {
                lockChannel.close();
            }
        } catch (IOException ignored) {
            // process exit releases it anyway
        }
    }
}
