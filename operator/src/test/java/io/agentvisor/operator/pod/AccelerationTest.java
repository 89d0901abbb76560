package io.agentvisor.operator.pod;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.api.v1alpha1.VmPods;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import org.junit.jupiter.api.Test;

/** TCG or KVM for every VM pod ({@code agentvisor.vm.acceleration}): the resource request and QEMU's options. */
class AccelerationTest {
    static final PodSettings KVM = new PodSettings("registry.local/agentvisor/vm-launcher:1", "IfNotPresent", 32,
            160, 100, 90, 15, PodSettings.DEFAULT_JVM_OPTIONS, Acceleration.KVM);

    @Test
    void tcgByDefaultAsksForNoDeviceAndPinsTheTranslationBuffer() {
        Pod pod = VmPodBuilder.build(VmPodBuilderTest.vm("web-1"), VmPodBuilderTest.SETTINGS);
        Container c = VmPodBuilderTest.qemu(pod);
        assertEquals(Acceleration.TCG, VmPodBuilderTest.SETTINGS.acceleration());
        assertFalse(c.getResources().getRequests().containsKey(VmPods.KVM_RESOURCE));
        assertFalse(c.getResources().getLimits().containsKey(VmPods.KVM_RESOURCE));
        String argv = VmPodBuilderTest.argv(pod);
        assertTrue(argv.contains("-machine q35 -accel tcg,tb-size=32 "), argv);
        assertFalse(argv.contains("kvm"), argv);
    }

    @Test
    void kvmRequestsOneKvmDeviceAndRunsQemuWithTheOptionsTheProbeTested() {
        Pod pod = VmPodBuilder.build(VmPodBuilderTest.vm("web-1"), KVM);
        Container c = VmPodBuilderTest.qemu(pod);
        assertEquals(new Quantity("1"), c.getResources().getRequests().get("devices.agentvisor.io/kvm"));
        assertEquals(new Quantity("1"), c.getResources().getLimits().get("devices.agentvisor.io/kvm"));
        String argv = VmPodBuilderTest.argv(pod);
        assertTrue(argv.contains("-machine q35 -accel kvm -cpu host "), argv);
        assertFalse(argv.contains("tcg"), argv);
        assertEquals(1, argv.split("-accel ", -1).length - 1, "one -accel: " + argv);
        // memory and CPU are booked as under TCG
        Container tcg = VmPodBuilderTest.qemu(VmPodBuilder.build(VmPodBuilderTest.vm("web-1"),
                VmPodBuilderTest.SETTINGS));
        assertEquals(tcg.getResources().getRequests().get("memory"), c.getResources().getRequests().get("memory"));
        assertEquals(tcg.getResources().getRequests().get("cpu"), c.getResources().getRequests().get("cpu"));
    }

    @Test
    void kvmChangesNothingInThePodsSecurity() {
        Pod kvm = VmPodBuilder.build(VmPodBuilderTest.vm("web-1"), KVM);
        Pod tcg = VmPodBuilder.build(VmPodBuilderTest.vm("web-1"), VmPodBuilderTest.SETTINGS);
        assertEquals(tcg.getSpec().getSecurityContext(), kvm.getSpec().getSecurityContext());
        assertEquals(VmPodBuilderTest.qemu(tcg).getSecurityContext(), VmPodBuilderTest.qemu(kvm).getSecurityContext());
        assertEquals(tcg.getSpec().getVolumes(), kvm.getSpec().getVolumes(), "the device comes from the kubelet, "
                + "not from a hostPath");
        assertEquals(Boolean.FALSE, VmPodBuilderTest.qemu(kvm).getSecurityContext().getPrivileged());
    }

    @Test
    void switchingTheAccelerationOutdatesRunningPods() {
        Pod kvm = VmPodBuilder.build(VmPodBuilderTest.vm("web-1"), KVM);
        Pod tcg = VmPodBuilder.build(VmPodBuilderTest.vm("web-1"), VmPodBuilderTest.SETTINGS);
        assertNotEquals(kvm.getMetadata().getAnnotations().get(VmPods.POD_SPEC_HASH),
                tcg.getMetadata().getAnnotations().get(VmPods.POD_SPEC_HASH));
    }

    @Test
    void onlyTcgAndKvmAreAcceptedNamingTheKey() {
        assertEquals(Acceleration.KVM, Acceleration.parse("kvm"));
        assertEquals(Acceleration.TCG, Acceleration.parse("tcg"));
        for (String bad : new String[] {"KVM", "auto", "", "kvm-if-available"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Acceleration.parse(bad));
            assertEquals("agentvisor.vm.acceleration: \"" + bad + "\" is not one of [tcg, kvm]", e.getMessage());
        }
    }
}
