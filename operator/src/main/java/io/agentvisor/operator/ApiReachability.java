package io.agentvisor.operator;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/**
 * Whether the Kubernetes API is reachable, as observed by a background probe ({@code GET /version} every
 * {@link #INTERVAL}, own client, short timeouts, no retries). A health probe reads the last observation and never
 * waits on the API itself (the kubelet gives it one second).
 * <p>
 * Not flapping: the API counts as unreachable only when no probe succeeded for {@link #GRACE}, i.e. after several
 * failed probes in a row, not after one slow answer.
 */
public class ApiReachability implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ApiReachability.class);
    static final Duration INTERVAL = Duration.ofSeconds(5);
    static final Duration GRACE = Duration.ofSeconds(20);

    /**
     * What is known about the API.
     *
     * @param reachable whether a probe succeeded within the grace period
     * @param lastContact when a probe last succeeded, or null (never)
     * @param problem why the last probe failed, or null when it succeeded
     */
    public record Status(boolean reachable, Instant lastContact, String problem) {
    }

    private final String url;
    private final Callable<?> probe;
    private final Clock clock;
    private final Duration grace;
    private final AutoCloseable resources;
    private volatile Instant lastContact;
    private volatile String problem = "the start-up check has not passed yet";
    private ScheduledExecutorService scheduler;

    ApiReachability(String url, Callable<?> probe, Clock clock, Duration grace, AutoCloseable resources) {
        this.url = url;
        this.probe = probe;
        this.clock = clock;
        this.grace = grace;
        this.resources = resources;
    }

    /** A probe of the API the operator's client talks to, with its credentials, timing out after {@code timeout}. */
    public static ApiReachability of(Config base, Duration timeout) {
        int ms = (int) Math.max(1, timeout.toMillis());
        Config config = new ConfigBuilder(base).withRequestRetryBackoffLimit(0).withConnectionTimeout(ms)
                .withRequestTimeout(ms).build();
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        return new ApiReachability(config.getMasterUrl(), client::getKubernetesVersion, Clock.systemUTC(), GRACE,
                client);
    }

    public String url() {
        return url;
    }

    /** One probe; records its outcome. */
    public void probe() {
        try {
            probe.call();
            if (problem != null && lastContact != null) {
                LOG.infof("Kubernetes API at %s reachable again", url);
            }
            lastContact = clock.instant();
            problem = null;
        } catch (Exception e) {
            String why = OperatorStartup.rootCause(e);
            if (problem == null) {
                LOG.warnf("Kubernetes API at %s not reachable: %s", url, why);
            }
            problem = why;
        }
    }

    /** The API was just reached (by the start-up check): record it and probe every {@link #INTERVAL} from now on. */
    public synchronized void start() {
        lastContact = clock.instant();
        problem = null;
        if (scheduler == null) {
            scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "agentvisor-api-probe");
                t.setDaemon(true);
                return t;
            });
            scheduler.scheduleWithFixedDelay(this::probe, INTERVAL.toMillis(), INTERVAL.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    public Status status() {
        Instant last = lastContact;
        boolean reachable = last != null && !clock.instant().isAfter(last.plus(grace));
        return new Status(reachable, last, problem);
    }

    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
        try {
            resources.close();
        } catch (Exception e) {
            LOG.debug("closing the API probe's client", e);
        }
    }
}
