package io.agentvisor.driver.credentials;

import io.agentvisor.agent.GuestAgent;
import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.Conditions;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VmPods;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import org.jboss.logging.Logger;

/**
 * The access credentials of one VM pod on this node: each pass reads the pod's secret volumes where the kubelet put
 * them ({@code <kubeletRoot>/pods/<pod uid>/volumes/kubernetes.io~secret/<volume>/}; the driver has no access to
 * Secrets in the API), lets {@link CredentialSync} apply what changed, and writes the VM's condition
 * {@code AccessCredentialsSynchronized} when it changed (an event and a log line on a change of outcome). Names of
 * Secrets, keys and users appear in messages, never a key or a password. Not thread-safe: the VM's actor calls it.
 */
public final class VmCredentials {
    private static final Logger LOG = Logger.getLogger(VmCredentials.class);
    private static final String TYPE = ConditionTypes.ACCESS_CREDENTIALS_SYNCHRONIZED;
    private final CredentialSync sync = new CredentialSync();
    private final Clock clock = Clock.systemUTC();
    /** As last written (null: not yet). */
    private CredentialSync.Wanted written;
    private java.time.Instant writtenAt = java.time.Instant.EPOCH;

    /** Writes the driver's entries of some condition types. */
    @FunctionalInterface
    public interface ConditionWriter {
        void write(String namespace, String name, Set<String> types, List<Condition> own);
    }

    /** Records an event on the VM. */
    @FunctionalInterface
    public interface EventSink {
        void event(String type, String reason, String message);
    }

    public void sync(VirtualMachine vm, Pod pod, Path kubeletRoot, GuestAgent agent, boolean agentUp, Executor actor,
            Runnable again, ConditionWriter writer, EventSink events, String key) {
        if (vm.getSpec() == null) {
            return;
        }
        String podUid = pod.getMetadata().getUid();
        CredentialSync.Wanted want;
        try {
            want = sync.pass(vm.getSpec().getAccessCredentials(), volumesOf(pod), volume -> SecretFiles.read(
                    SecretFiles.volumeDir(kubeletRoot, podUid, volume)), agent, agentUp, actor, again, clock::instant);
        } catch (RuntimeException e) {
            LOG.errorf("%s: access credentials not synchronised: %s", key, e.getClass().getName()); // no message: data
            return;
        }
        Condition stored = Conditions.find(vm.getStatus() == null ? null : vm.getStatus().getConditions(), TYPE);
        boolean same = want == CredentialSync.NONE ? stored == null : stored != null
                && stored.getStatus().equals(want.status() ? Condition.TRUE : Condition.FALSE)
                && Objects.equals(stored.getReason(), want.reason()) && Objects.equals(stored.getMessage(), want.message());
        if (same) {
            written = want;
            return;
        }
        if (want.equals(written) && java.time.Duration.between(writtenAt, clock.instant()).toSeconds() < 60) {
            return; // written; the VM the informer holds is older than that write
        }
        try {
            writer.write(vm.getMetadata().getNamespace(), vm.getMetadata().getName(), Set.of(TYPE),
                    want == CredentialSync.NONE ? List.of() : List.of(Conditions.of(TYPE, want.status(), want.reason(),
                            want.message(), vm.getMetadata().getGeneration(), stored, clock.instant())));
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                LOG.warnf("%s: condition %s not written (%d)", key, TYPE, e.getCode());
            }
            return;
        }
        if (want != CredentialSync.NONE && !want.equals(written)) {
            LOG.infof("%s: %s=%s (%s): %s", key, TYPE, want.status(), want.reason(), want.message());
            if (!CredentialSync.APPLYING.equals(want.reason())) {
                events.event(want.status() ? "Normal" : "Warning", want.status() ? "AccessCredentialsApplied"
                        : "AccessCredentialsNotApplied", want.message());
            }
        }
        written = want;
        writtenAt = clock.instant();
    }

    /** Secret name -> the name of the pod's volume holding it (the operator's {@link VmPods#credentialVolume}). */
    static Map<String, String> volumesOf(Pod pod) {
        Map<String, String> out = new HashMap<>();
        if (pod.getSpec() != null && pod.getSpec().getVolumes() != null) {
            pod.getSpec().getVolumes().stream().filter(v -> v.getSecret() != null && v.getName() != null
                    && v.getName().startsWith(VmPods.CREDENTIAL_VOLUME_PREFIX) && v.getSecret().getSecretName() != null)
                    .forEach(v -> out.put(v.getSecret().getSecretName(), v.getName()));
        }
        return out;
    }
}
