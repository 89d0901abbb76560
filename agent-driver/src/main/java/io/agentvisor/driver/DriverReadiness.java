package io.agentvisor.driver;

import io.agentvisor.driver.kube.NodeDriver;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready = the driver watches its node's VM pods and their VMs (both informers connected). This is the "driver is
 * watching" signal: the DaemonSet pod's readiness, which is what a node's health is read from.
 */
@Readiness
@ApplicationScoped
public class DriverReadiness implements HealthCheck {
    @Inject
    DriverApp app;

    @Override
    public HealthCheckResponse call() {
        NodeDriver d = app.driver();
        boolean watching = d != null && d.watching();
        return HealthCheckResponse.named("vm-pod-watch").status(watching)
                .withData("vmPodsAttached", d == null ? 0 : d.runningVms()).build();
    }
}
