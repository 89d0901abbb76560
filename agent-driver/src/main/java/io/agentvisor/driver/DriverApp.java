package io.agentvisor.driver;

import io.agentvisor.driver.kube.DriverConfig;
import io.agentvisor.driver.kube.NodeDriver;
import io.agentvisor.driver.lifecycle.Backoff;
import io.agentvisor.driver.qemu.ImageDirs;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
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
import org.jboss.logging.Logger;

/** Wires the driver into Quarkus: start on startup, Lease upkeep, metrics; on shutdown VMs keep running unless stop-vms-on-exit. */
@ApplicationScoped
public class DriverApp {
    private static final Logger LOG = Logger.getLogger(DriverApp.class);

    @Inject
    DriverSettings settings;
    @Inject
    KubernetesClient client;
    @Inject
    MeterRegistry registry;

    private NodeDriver driver;
    private LeaseKeeper lease;
    private ScheduledExecutorService leaseTimer;

    void onStart(@Observes StartupEvent ev) {
        try {
            io.agentvisor.driver.qemu.VmPaths.requireShortRunDir(Path.of(settings.runDir()));
            DriverConfig config = new DriverConfig(settings.nodeName(), Path.of(settings.stateDir()),
                    Path.of(settings.runDir()), new ImageDirs(settings.imageDirs().stream().map(Path::of).toList()),
                    settings.leaseNamespace(), settings.accelerator(), settings.qemuBinary(), settings.stopGrace(),
                    new Backoff(settings.restartBackoffInitial(), settings.restartBackoffMax(), Duration.ofMinutes(10)),
                    settings.capacityMemory().orElseGet(LeaseKeeper::hostMemory), settings.nodeLabels());
            driver = new NodeDriver(config, client, new MicrometerAgentMetrics(registry));
            Gauge.builder("agentvisor.vms.running", driver, NodeDriver::runningVms)
                    .description("QEMU processes running on this node").register(registry);
            lease = new LeaseKeeper(client, config.leaseNamespace(), config.nodeName(), config.capacityMemory(),
                    config.nodeLabels());
            leaseTimer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "node-lease");
                t.setDaemon(true);
                return t;
            });
            leaseTimer.scheduleWithFixedDelay(lease::renew, 0,
                    io.agentvisor.api.v1alpha1.NodeLeases.DEFAULT_RENEW_INTERVAL_SECONDS, TimeUnit.SECONDS);
            driver.start();
        } catch (Exception e) {
            LOG.errorf("agent-driver cannot start: %s", e.getMessage());
            Quarkus.asyncExit(1);
        }
    }

    void onStop(@Observes ShutdownEvent ev) {
        if (leaseTimer != null) {
            leaseTimer.shutdownNow();
        }
        if (driver != null) {
            if (settings.stopVmsOnExit()) {
                driver.stopVmsAndClose(settings.stopGrace().plus(
                        io.agentvisor.driver.lifecycle.StopPlan.KILL_AFTER_QUIT).plusSeconds(5));
            } else {
                driver.close();
            }
        }
    }

    LeaseKeeper lease() {
        return lease;
    }
}
