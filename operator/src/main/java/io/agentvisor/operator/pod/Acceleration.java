package io.agentvisor.operator.pod;

import java.util.List;

import io.agentvisor.api.v1alpha1.VmPods;

/**
 * How VM pods run QEMU, cluster-wide (operator setting {@code agentvisor.vm.acceleration}, as KubeVirt's
 * {@code useEmulation}). The operator cannot know where KVM works; each node's driver can, and offers
 * {@link VmPods#KVM_RESOURCE} only where its probe passed. So the choice is made once for all VMs and is
 * deterministic for every pod:
 * <ul>
 * <li>{@link #TCG}: QEMU's emulation ({@code -accel tcg,tb-size=N}), on any node; the product default.</li>
 * <li>{@link #KVM}: every VM pod requests one {@link VmPods#KVM_RESOURCE} and runs {@code -accel kvm -cpu host}; it
 * is placed only on nodes that offer KVM, and where none does it stays Pending with the scheduler's reason
 * ("Insufficient devices.agentvisor.io/kvm") in the VM's {@code Scheduled} condition.</li>
 * </ul>
 * There is no "KVM if available" mode: a pod's resources cannot change after it is created, so such a mode would
 * have to guess from the nodes at creation time and a VM's accelerator would depend on when it happened to start.
 */
public enum Acceleration {
    TCG("tcg"), KVM("kvm");

    public static final String KEY = "agentvisor.vm.acceleration";

    private final String value;

    Acceleration(String value) {
        this.value = value;
    }

    public String value() {
        return value;
    }

    /** {@code tcg} or {@code kvm}; anything else is an IllegalArgumentException naming the key. */
    public static Acceleration parse(String value) {
        for (Acceleration a : values()) {
            if (a.value.equals(value)) {
                return a;
            }
        }
        throw new IllegalArgumentException(KEY + ": \"" + value + "\" is not one of "
                + List.of(values()).stream().map(Acceleration::value).toList());
    }
}
