package io.agentvisor.driver;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready = the API answered the last Lease renewal within the Lease duration (API reachable and Lease fresh). */
@Readiness
@ApplicationScoped
public class DriverReadiness implements HealthCheck {
    @Inject
    DriverApp app;

    @Override
    public HealthCheckResponse call() {
        LeaseKeeper lease = app.lease();
        boolean fresh = lease != null && lease.fresh();
        return HealthCheckResponse.named("node-lease").status(fresh)
                .withData("lastRenew", lease == null || lease.lastRenew() == null ? "never" : lease.lastRenew().toString())
                .build();
    }
}
