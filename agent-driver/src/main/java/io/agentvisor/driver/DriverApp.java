package io.agentvisor.driver;

import io.agentvisor.driver.kube.DriverConfig;
import io.agentvisor.driver.kube.NodeDriver;
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
import org.jboss.logging.Logger;

/**
 * Wires the driver into Quarkus: on start it attaches to the node's VM pods and probes KVM once (in the
 * background: attaching never waits for the probe); on shutdown it only lets go, every VM keeps running.
 */
@ApplicationScoped
public class DriverApp {
    private static final Logger LOG = Logger.getLogger(DriverApp.class);

    @Inject
    DriverSettings settings;
    @Inject
    KubernetesClient client;
    @Inject
    MeterRegistry registry;

    private volatile NodeDriver driver;

    void onStart(@Observes StartupEvent ev) {
        try {
            DriverConfig config = new DriverConfig(settings.nodeName(), Path.of(settings.runDir()),
                    Path.of(settings.kubeletRootDir()), Path.of(settings.procDir()), settings.qemuBinary(),
                    Path.of(settings.kvmDevice()), settings.kvmProbeTimeout());
            NodeDriver d = new NodeDriver(config, client, new MicrometerAgentMetrics(registry));
            Gauge.builder("agentvisor.vms.running", d, NodeDriver::runningVms)
                    .description("VM pods on this node whose QEMU the driver is attached to").register(registry);
            d.start();
            driver = d;
            Thread probe = new Thread(d::probeKvm, "kvm-probe");
            probe.setDaemon(true);
            probe.start();
        } catch (Exception e) {
            LOG.errorf("agent-driver cannot start: %s", e.getMessage());
            Quarkus.asyncExit(1);
        }
    }

    void onStop(@Observes ShutdownEvent ev) {
        if (driver != null) {
            driver.close();
        }
    }

    NodeDriver driver() {
        return driver;
    }
}
