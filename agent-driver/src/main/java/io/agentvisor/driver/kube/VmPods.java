package io.agentvisor.driver.kube;

import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import java.util.Map;
import java.util.Optional;

/** The VM-pod contract as the driver reads it: how a VM pod is labelled, which VM it runs, where its sockets are. */
public final class VmPods {
    /** Every VM pod carries this label with value {@link #NAME_VALUE}. */
    public static final String NAME_LABEL = "app.kubernetes.io/name";
    public static final String NAME_VALUE = "agentvisor-vm";
    /** The uid of the VirtualMachine the pod runs. */
    public static final String VM_UID_LABEL = "agentvisor.io/vm-uid";
    /** The emptyDir volume shared by QEMU and the driver. */
    public static final String RUN_VOLUME = "agentvisor-run";
    public static final String QEMU_CONTAINER = "qemu";

    private VmPods() {
    }

    /** The VirtualMachine (namespace, name, uid) a VM pod belongs to: its controller owner, else its labels. */
    public record VmRef(String namespace, String name, String uid) {
        public String key() {
            return namespace + "/" + name;
        }
    }

    public static Optional<VmRef> vmOf(Pod pod) {
        String ns = pod.getMetadata().getNamespace();
        if (pod.getMetadata().getOwnerReferences() != null) {
            for (OwnerReference o : pod.getMetadata().getOwnerReferences()) {
                if ("VirtualMachine".equals(o.getKind()) && o.getApiVersion() != null
                        && o.getApiVersion().startsWith(io.agentvisor.api.v1alpha1.Agentvisor.GROUP + "/")
                        && Boolean.TRUE.equals(o.getController())) {
                    return Optional.of(new VmRef(ns, o.getName(), o.getUid()));
                }
            }
        }
        return Optional.empty();
    }

    public static boolean isVmPod(Pod pod) {
        Map<String, String> l = pod.getMetadata().getLabels();
        return l != null && NAME_VALUE.equals(l.get(NAME_LABEL));
    }

    /** Succeeded or Failed: the kubelet will not run its containers again. */
    public static boolean terminated(Pod pod) {
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        return "Succeeded".equals(phase) || "Failed".equals(phase);
    }

    public static boolean deleting(Pod pod) {
        return pod.getMetadata().getDeletionTimestamp() != null;
    }

    /** The qemu container's restart count as the kubelet reports it (0 when unknown). */
    public static int restarts(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return 0;
        }
        return pod.getStatus().getContainerStatuses().stream().filter(c -> QEMU_CONTAINER.equals(c.getName()))
                .map(ContainerStatus::getRestartCount).filter(java.util.Objects::nonNull).findFirst().orElse(0);
    }

    static String key(VirtualMachine vm) {
        return vm.getMetadata().getNamespace() + "/" + vm.getMetadata().getName();
    }
}
