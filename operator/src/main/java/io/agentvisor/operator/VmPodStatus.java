package io.agentvisor.operator;

import java.util.List;

import io.agentvisor.api.v1alpha1.Phase;
import io.agentvisor.api.v1alpha1.Termination;
import io.agentvisor.api.v1alpha1.VmPods;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;

/** What a VM's pod says about the VM: a pure reading of the pod's status (no API calls). */
final class VmPodStatus {
    static final int MAX_MESSAGE = 1024;

    private VmPodStatus() {
    }

    /** The phase of a VM with this pod. */
    static Phase phase(Pod pod) {
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            return Phase.Stopping;
        }
        String podPhase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        ContainerStatus c = container(pod);
        if (podPhase == null) {
            return Phase.Pending;
        }
        switch (podPhase) {
            case "Succeeded":
                return Phase.Stopped;
            case "Failed":
                return Phase.Failed;
            case "Unknown":
                return Phase.Unknown;
            case "Running":
                if (c != null && c.getState() != null && c.getState().getRunning() != null) {
                    return Phase.Running;
                }
                return Phase.Starting; // between two runs of QEMU (back-off), or just exited
            case "Pending":
            default:
                if (!scheduled(pod)) {
                    return Phase.Pending;
                }
                boolean ranBefore = c != null && ((c.getRestartCount() != null && c.getRestartCount() > 0)
                        || (c.getLastState() != null && c.getLastState().getTerminated() != null));
                return ranBefore ? Phase.Starting : Phase.Scheduled;
        }
    }

    /** Whether the scheduler bound the pod (PodScheduled=True, or a node name). */
    static boolean scheduled(Pod pod) {
        PodCondition c = podScheduled(pod);
        if (c != null) {
            return "True".equals(c.getStatus());
        }
        return pod.getSpec() != null && pod.getSpec().getNodeName() != null;
    }

    static PodCondition podScheduled(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return null;
        }
        for (PodCondition c : pod.getStatus().getConditions()) {
            if ("PodScheduled".equals(c.getType())) {
                return c;
            }
        }
        return null;
    }

    static ContainerStatus container(Pod pod) {
        List<ContainerStatus> statuses = pod.getStatus() == null ? null : pod.getStatus().getContainerStatuses();
        if (statuses == null) {
            return null;
        }
        for (ContainerStatus c : statuses) {
            if (VmPods.CONTAINER.equals(c.getName())) {
                return c;
            }
        }
        return null;
    }

    static Integer restartCount(Pod pod) {
        ContainerStatus c = container(pod);
        return c == null ? null : c.getRestartCount();
    }

    /** How QEMU's container last ended: its current terminated state, else its last one; null if it never ended. */
    static Termination lastTermination(Pod pod) {
        ContainerStatus c = container(pod);
        ContainerStateTerminated t = c == null ? null
                : c.getState() != null && c.getState().getTerminated() != null ? c.getState().getTerminated()
                : c.getLastState() != null ? c.getLastState().getTerminated() : null;
        if (t == null) {
            // e.g. an evicted pod: the pod's own reason (Evicted, NodeLost, Shutdown) and message
            if (pod.getStatus() != null && "Failed".equals(pod.getStatus().getPhase())
                    && pod.getStatus().getReason() != null) {
                Termination out = new Termination();
                out.setReason(bounded(pod.getStatus().getReason(), 128));
                out.setMessage(bounded(pod.getStatus().getMessage(), MAX_MESSAGE));
                return out;
            }
            return null;
        }
        Termination out = new Termination();
        out.setReason(bounded(t.getReason(), 128));
        out.setExitCode(t.getExitCode());
        out.setFinishedAt(bounded(t.getFinishedAt(), 64));
        out.setMessage(bounded(t.getMessage(), MAX_MESSAGE));
        return out;
    }

    static String bounded(String s, int max) {
        if (s == null) {
            return null;
        }
        return s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }
}
