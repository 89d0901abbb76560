package io.agentvisor.driver;

import io.agentvisor.api.v1alpha1.Agentvisor;
import io.agentvisor.api.v1alpha1.NodeLeases;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.Map;
import org.jboss.logging.Logger;

/** Keeps this node's Lease (the NodeLeases contract) fresh; readiness reads {@link #fresh}. */
public final class LeaseKeeper {
    private static final Logger LOG = Logger.getLogger(LeaseKeeper.class);

    private final KubernetesClient client;
    private final String namespace;
    private final String node;
    private final String memory;
    private final Map<String, String> labels;
    private volatile Instant lastRenew;
    private volatile boolean failing;

    public LeaseKeeper(KubernetesClient client, String namespace, String node, String memory, Map<String, String> nodeLabels) {
        this.client = client;
        this.namespace = namespace;
        this.node = node;
        this.memory = memory;
        this.labels = new HashMap<>(nodeLabels);
        labels.put(NodeLeases.LEASE_LABEL, "true");
        labels.put(Agentvisor.NODE_LABEL, node);
    }

    public void renew() {
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC).withNano(ZonedDateTime.now().getNano() / 1000 * 1000);
        Lease lease = new LeaseBuilder().withNewMetadata().withName(NodeLeases.leaseName(node)).withNamespace(namespace)
                .withLabels(labels).withAnnotations(Map.of(NodeLeases.CAPACITY_MEMORY, memory,
                        NodeLeases.CAPACITY_CPU, Integer.toString(Runtime.getRuntime().availableProcessors())))
                .endMetadata().withNewSpec().withHolderIdentity(node)
                .withLeaseDurationSeconds(NodeLeases.DEFAULT_LEASE_DURATION_SECONDS).withRenewTime(now).endSpec().build();
        try {
            client.resource(lease).fieldManager(Agentvisor.DRIVER_FIELD_MANAGER).forceConflicts().serverSideApply();
            lastRenew = Instant.now();
            if (failing) {
                LOG.infof("node Lease %s/%s renewed again", namespace, lease.getMetadata().getName());
            }
            failing = false;
        } catch (KubernetesClientException e) {
            if (!failing) {
                LOG.warnf("node Lease %s/%s not renewed: %s", namespace, lease.getMetadata().getName(), e.getMessage());
            }
            failing = true;
        }
    }

    /** Renewed within the Lease duration: the API is reachable and the operator sees this node. */
    public boolean fresh() {
        Instant t = lastRenew;
        return t != null && t.plusSeconds(NodeLeases.DEFAULT_LEASE_DURATION_SECONDS).isAfter(Instant.now());
    }

    public Instant lastRenew() {
        return lastRenew;
    }

    /** MemTotal of the host as a quantity, for the default capacity. */
    static String hostMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return line.replaceAll("[^0-9]", "") + "Ki";
                }
            }
        } catch (IOException ignored) {
            // fall through
        }
        return "0";
    }
}
