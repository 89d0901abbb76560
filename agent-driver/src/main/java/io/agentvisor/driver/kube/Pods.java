package io.agentvisor.driver.kube;

import io.agentvisor.api.v1alpha1.Agentvisor;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Optional;

/** What the driver reads from a VM pod (the contract itself is {@link io.agentvisor.api.v1alpha1.VmPods}). */
final class Pods {
    private Pods() {
    }

    /** The VirtualMachine (namespace, name, uid) a VM pod belongs to. */
    record VmRef(String namespace, String name, String uid) {
        String key() {
            return namespace + "/" + name;
        }
    }

    /** The pod's controller owner, when it is a VirtualMachine. */
    static Optional<VmRef> vmOf(Pod pod) {
        if (pod.getMetadata().getOwnerReferences() != null) {
            for (OwnerReference o : pod.getMetadata().getOwnerReferences()) {
                if ("VirtualMachine".equals(o.getKind()) && o.getApiVersion() != null
                        && o.getApiVersion().startsWith(Agentvisor.GROUP + "/") && Boolean.TRUE.equals(o.getController())) {
                    return Optional.of(new VmRef(pod.getMetadata().getNamespace(), o.getName(), o.getUid()));
                }
            }
        }
        return Optional.empty();
    }

    /** Succeeded or Failed: the kubelet will not run its containers again. */
    static boolean terminated(Pod pod) {
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        return "Succeeded".equals(phase) || "Failed".equals(phase);
    }

    static boolean deleting(Pod pod) {
        return pod.getMetadata().getDeletionTimestamp() != null;
    }
}
