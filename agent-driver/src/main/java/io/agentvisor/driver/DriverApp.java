package io.agentvisor.driver;

import io.agentvisor.driver.kube.DriverConfig;
import io.agentvisor.driver.kube.NodeDriver;
import io.agentvisor.driver.kvm.KvmResource;
import io.agentvisor.driver.poll.AgentMetrics;
import io.agentvisor.driver.qemu.Accelerator;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;

/**
 * Wires the driver into Quarkus: on start it attaches to the node's VM pods and probes KVM (in the background:
 * attaching never waits for the probe; again every {@code agentvisor.driver.kvm.reprobe-interval}), offering the
 * KVM device plugin while the probe passes; on shutdown it only lets go, every VM keeps running.
 * <p>
 * Ready = the driver watches its node's VM pods and their VMs (both informers connected). This is the "driver is
 * watching" signal: the DaemonSet pod's readiness, which is what a node's health is read from.
 */
@Readiness
@ApplicationScoped
public class DriverApp implements HealthCheck {
    private static final Logger LOG = Logger.getLogger(DriverApp.class);

    @Inject
    DriverSettings settings;
    @Inject
    KubernetesClient client;
    @Inject
    MeterRegistry registry;

    private volatile NodeDriver driver;
    private volatile KvmResource kvmResource;
    private volatile ScheduledExecutorService kvmProbes;

    void onStart(@Observes StartupEvent ev) {
        try {
            DriverSettings.Kvm kvmSettings = settings.kvm();
            DriverConfig config = new DriverConfig(settings.nodeName(), Path.of(settings.runDir()),
                    Path.of(settings.kubeletRootDir()), Path.of(settings.procDir()), settings.qemuBinary(),
                    Path.of(settings.kvmDevice()), settings.kvmProbeTimeout());
            NodeDriver d = new NodeDriver(config, client, new MicrometerAgentMetrics(registry));
            Gauge.builder("agentvisor.vms.running", d, NodeDriver::runningVms)
                    .description("VM pods on this node whose QEMU the driver is attached to").register(registry);
            if (kvmSettings.reprobeInterval().isNegative()) {
                throw new IllegalArgumentException("agentvisor.driver.kvm.reprobe-interval must not be negative, not "
                        + kvmSettings.reprobeInterval());
            }
            KvmResource kvm = kvmSettings.devicePlugin() ? new KvmResource(Path.of(kvmSettings.devicePluginDir()),
                    settings.kvmDevice(), kvmSettings.deviceCount(), kvmSettings.testOnlyAssumeAvailable()) : null;
            d.start();
            driver = d;
            kvmResource = kvm;
            // the probe runs in the background (attaching never waits for it), again every reprobe-interval
            ScheduledExecutorService probes = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "kvm-probe");
                t.setDaemon(true);
                return t;
            });
            kvmProbes = probes;
            Runnable probe = () -> {
                try {
                    Accelerator.Verdict v = d.probeKvm();
                    if (kvm != null) {
                        kvm.probed(v.works(), v.reason());
                    }
                } catch (RuntimeException e) {
                    // a scheduled task that throws is never run again: say it, try at the next interval
                    LOG.errorf(e, "KVM probe failed unexpectedly");
                }
            };
            long every = kvmSettings.reprobeInterval().toMillis();
            if (every == 0) {
                probes.execute(probe);
            } else {
                probes.scheduleWithFixedDelay(probe, 0, every, TimeUnit.MILLISECONDS);
            }
        } catch (Exception e) {
            LOG.errorf("agent-driver cannot start: %s", e.getMessage());
            Quarkus.asyncExit(1);
        }
    }

    void onStop(@Observes ShutdownEvent ev) {
        if (kvmProbes != null) {
            kvmProbes.shutdownNow();
        }
        if (kvmResource != null) {
            kvmResource.close();
        }
        if (driver != null) {
            driver.close();
        }
    }

    @Override
    public HealthCheckResponse call() {
        NodeDriver d = driver;
        boolean watching = d != null && d.watching();
        return HealthCheckResponse.named("vm-pod-watch").status(watching)
                .withData("vmPodsAttached", d == null ? 0 : d.runningVms()).build();
    }

    /**
     * agentvisor_agent_call_seconds{command,outcome} (histogram), agentvisor_agent_timeouts_total{vm},
     * agentvisor_agent_reconnects_total{vm}. Commands are qemu-ga's names (a bounded set), VMs namespace/name.
     */
    private static final class MicrometerAgentMetrics implements AgentMetrics {
        private final MeterRegistry registry;

        MicrometerAgentMetrics(MeterRegistry registry) {
            this.registry = registry;
        }

        @Override
        public void call(String vm, String command, String outcome, Duration took) {
            Timer.builder("agentvisor.agent.call").description("guest agent call duration by command and outcome")
                    .tag("command", command).tag("outcome", outcome).publishPercentileHistogram()
                    .register(registry).record(took);
            if (outcome.equals("timeout")) {
                Counter.builder("agentvisor.agent.timeouts").description("guest agent calls that timed out, by VM")
                        .tag("vm", vm).register(registry).increment();
            }
        }

        @Override
        public void reconnected(String vm) {
            Counter.builder("agentvisor.agent.reconnects").description("guest agent answering again after losing it")
                    .tag("vm", vm).register(registry).increment();
        }
    }
}
