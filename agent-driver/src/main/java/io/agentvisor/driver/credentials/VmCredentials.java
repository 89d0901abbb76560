package io.agentvisor.driver.credentials;

import io.agentvisor.agent.GuestAgent;
import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.Conditions;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VmPods;
import io.fabric8.kubernetes.api.model.Pod;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import org.jboss.logging.Logger;

/**
 * The access credentials of one VM pod on this node: each pass reads the pod's secret volumes where the kubelet put
 * them ({@code <kubeletRoot>/pods/<pod uid>/volumes/kubernetes.io~secret/<volume>/}; the driver has no access to
 * Secrets in the API), lets {@link CredentialSync} apply what changed, and says what the VM's condition
 * {@code AccessCredentialsSynchronized} should be (an event and a log line on a change of outcome). Names of
 * Secrets, keys and users appear in messages, never a key or a password. Not thread-safe: the VM's actor calls it.
 */
public final class VmCredentials {
    private static final Logger LOG = Logger.getLogger(VmCredentials.class);
    private static final String TYPE = ConditionTypes.ACCESS_CREDENTIALS_SYNCHRONIZED;
    private final CredentialSync sync = new CredentialSync();
    private final Clock clock = Clock.systemUTC();
    /** The outcome last logged (null: none yet). */
    private CredentialSync.Wanted reported;

    /** Records an event on the VM. */
    @FunctionalInterface
    public interface EventSink {
        void event(String type, String reason, String message);
    }

    /**
     * One pass: what the condition should say now ({@link CredentialSync#NONE}: the VM has no credentials, no
     * condition), or null when it could not be worked out (keep what is there). The caller puts it into the VM's
     * status with its other conditions; an event and a log line mark a change of outcome.
     */
    public CredentialSync.Wanted sync(VirtualMachine vm, Pod pod, Path kubeletRoot, GuestAgent agent, boolean agentUp,
            Executor actor, Runnable again, EventSink events, String key) {
        if (vm.getSpec() == null) {
            return null;
        }
        String podUid = pod.getMetadata().getUid();
        CredentialSync.Wanted want;
        try {
            want = sync.pass(vm.getSpec().getAccessCredentials(), volumesOf(pod), volume -> SecretFiles.read(
                    SecretFiles.volumeDir(kubeletRoot, podUid, volume)), agent, agentUp, actor, again, clock::instant);
        } catch (RuntimeException e) {
            LOG.errorf("%s: access credentials not synchronised: %s", key, e.getClass().getName()); // no message: data
            return null;
        }
        Condition stored = Conditions.find(vm.getStatus() == null ? null : vm.getStatus().getConditions(), TYPE);
        boolean asStored = want == CredentialSync.NONE ? stored == null : stored != null
                && stored.getStatus().equals(want.status() ? Condition.TRUE : Condition.FALSE)
                && Objects.equals(stored.getReason(), want.reason()) && Objects.equals(stored.getMessage(), want.message());
        if (!asStored && want != CredentialSync.NONE && !want.equals(reported)) {
            LOG.infof("%s: %s=%s (%s): %s", key, TYPE, want.status(), want.reason(), want.message());
            if (!CredentialSync.APPLYING.equals(want.reason())) {
                events.event(want.status() ? "Normal" : "Warning", want.status() ? "AccessCredentialsApplied"
                        : "AccessCredentialsNotApplied", want.message());
            }
        }
        reported = want;
        return want;
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
