package io.agentvisor.operator;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

/** Operator settings ({@code agentvisor.*} in application.properties, or AGENTVISOR_* environment variables). */
@ConfigMapping(prefix = "agentvisor")
public interface OperatorConfig {

    Images images();

    /**
     * Namespace of the node Leases (the operator's namespace). Default: the namespace of the kubeconfig's current
     * context, or of the service account in a pod, else {@code default}.
     */
    Optional<String> namespace();

    Placement placement();

    /**
     * {@code agentvisor.root}: the repository root that the build hands to every test JVM (not used by the operator;
     * declared so that strict config validation accepts it).
     */
    Optional<String> root();

    /**
     * {@code agentvisor.default-response-timeout}: the product default guest agent response timeout, for VMs that
     * neither set {@code spec.guestAgent.responseTimeout} nor are matched by a GuestAgentPolicy that sets one. The
     * forms of the API: an integer &ge; -2 (libvirt's meaning) or {@code Block}, {@code Default}, {@code NoWait}.
     * Checked at start-up ({@link ProductDefaults#responseTimeout(String)}).
     */
    @WithName(ProductDefaults.RESPONSE_TIMEOUT_KEY_SUFFIX)
    @WithDefault("Default")
    String defaultResponseTimeout();

    /** How long the start-up check waits for the API before giving up. */
    @WithDefault("5s")
    Duration startupTimeout();

    interface Images {
        /** Directories on the nodes that kernels, initrds and disk images must live in. */
        @WithName("allowed-dirs")
        @WithDefault("${user.home}/.cache/agentvisor/guest,/var/lib/agentvisor/images")
        List<String> allowedDirs();
    }

    interface Placement {
        /** How often an unschedulable VM is retried besides on Lease changes (e.g. after memory was freed). */
        @WithDefault("15s")
        Duration retryInterval();
    }
}
