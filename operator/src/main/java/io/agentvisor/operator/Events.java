package io.agentvisor.operator;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.agentvisor.api.v1alpha1.EventNames;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/** Records core/v1 Events (and a log line) for meaningful transitions only; callers decide what is a transition. */
@ApplicationScoped
public class Events {
    private static final Logger LOG = Logger.getLogger(Events.class);
    static final String COMPONENT = "agentvisor-operator";

    private final KubernetesClient client;

    public Events(KubernetesClient client) {
        this.client = client;
    }

    public void normal(HasMetadata about, String reason, String message) {
        record(about, "Normal", reason, message);
    }

    public void warning(HasMetadata about, String reason, String message) {
        record(about, "Warning", reason, message);
    }

    private void record(HasMetadata about, String type, String reason, String message) {
        String ns = about.getMetadata().getNamespace();
        LOG.infof("%s %s/%s: %s: %s", about.getKind(), ns, about.getMetadata().getName(), reason, message);
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        try {
            client.v1().events().inNamespace(ns).resource(new EventBuilder()
                    .withNewMetadata().withNamespace(ns)
                    .withName(EventNames.of(about.getMetadata().getName()))
                    .endMetadata()
                    .withNewInvolvedObject().withApiVersion(about.getApiVersion()).withKind(about.getKind())
                    .withNamespace(ns).withName(about.getMetadata().getName()).withUid(about.getMetadata().getUid())
                    .withResourceVersion(about.getMetadata().getResourceVersion()).endInvolvedObject()
                    .withType(type).withReason(reason).withMessage(truncate(message))
                    .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                    .withNewSource().withComponent(COMPONENT).endSource()
                    .build()).create();
        } catch (KubernetesClientException e) {
            LOG.warnf("could not record event %s for %s/%s: %s", reason, ns, about.getMetadata().getName(),
                    e.getMessage());
        }
    }

    private static String truncate(String s) {
        return s.length() > 1000 ? s.substring(0, 997) + "..." : s;
    }
}
