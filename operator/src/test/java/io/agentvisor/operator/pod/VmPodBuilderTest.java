package io.agentvisor.operator.pod;

import static io.agentvisor.api.v1alpha1.AccessCredential.sshPublicKey;
import static io.agentvisor.api.v1alpha1.AccessCredential.userPassword;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import io.agentvisor.api.v1alpha1.AccessCredential;
import io.agentvisor.api.v1alpha1.Boot;
import io.agentvisor.api.v1alpha1.Cpu;
import io.agentvisor.api.v1alpha1.Disk;
import io.agentvisor.api.v1alpha1.DiskFormat;
import io.agentvisor.api.v1alpha1.Interface;
import io.agentvisor.api.v1alpha1.PersistentVolumeClaimDisk;
import io.agentvisor.api.v1alpha1.Port;
import io.agentvisor.api.v1alpha1.RunStrategy;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineSpec;
import io.agentvisor.api.v1alpha1.VmPods;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VmPodBuilderTest {
    static final String UID = "0b7c3d2e-1111-4a2b-8c3d-123456789abc";
    static final PodSettings SETTINGS = new PodSettings("registry.local/agentvisor/vm-launcher:1", "IfNotPresent", 32,
            160, 100, 90, 15, PodSettings.DEFAULT_JVM_OPTIONS, Acceleration.TCG);

    static VirtualMachine vm(String name) {
        VirtualMachine vm = new VirtualMachine();
        vm.setMetadata(new ObjectMetaBuilder().withNamespace("tenant-a").withName(name).withUid(UID)
                .withLabels(Map.of("app", "web")).build());
        VirtualMachineSpec spec = new VirtualMachineSpec();
        spec.setMemory(new Quantity("256Mi"));
        Boot boot = new Boot();
        boot.setKernel("/var/lib/agentvisor/images/vmlinuz");
        boot.setInitrd("/var/lib/agentvisor/images/initramfs.cpio.gz");
        boot.setCmdline("console=ttyS0 quiet");
        spec.setBoot(boot);
        vm.setSpec(spec);
        return vm;
    }

    static Container qemu(Pod pod) {
        assertEquals(1, pod.getSpec().getContainers().size());
        Container c = pod.getSpec().getContainers().get(0);
        assertEquals(VmPods.CONTAINER, c.getName());
        return c;
    }

    static String argv(Pod pod) {
        return String.join(" ", qemu(pod).getArgs());
    }

    @Test
    void namedLabelledAndOwnedByTheVm() {
        Pod pod = VmPodBuilder.build(vm("web-1"), SETTINGS);
        assertEquals("vm-web-1", pod.getMetadata().getName());
        assertEquals("tenant-a", pod.getMetadata().getNamespace());
        assertEquals(Map.of("app", "web", VmPods.APP_LABEL, VmPods.APP, VmPods.VM_LABEL, "web-1",
                VmPods.VM_UID_LABEL, UID), pod.getMetadata().getLabels());
        var owner = pod.getMetadata().getOwnerReferences().get(0);
        assertEquals(List.of("agentvisor.io/v1alpha1", "VirtualMachine", "web-1", UID, true, true),
                List.of(owner.getApiVersion(), owner.getKind(), owner.getName(), owner.getUid(), owner.getController(),
                        owner.getBlockOwnerDeletion()));
    }

    @Test
    void longNamesAreShortenedForThePodAndHashedForTheLabel() {
        String name = "a".repeat(253);
        Pod pod = VmPodBuilder.build(vm(name), SETTINGS);
        assertEquals(253, pod.getMetadata().getName().length());
        assertTrue(pod.getMetadata().getName().matches("vm-a+-[0-9a-f]{10}"), pod.getMetadata().getName());
        String label = pod.getMetadata().getLabels().get(VmPods.VM_LABEL);
        assertTrue(label.matches("[0-9a-f]{40}"), label);
        assertEquals("vm-" + "b".repeat(250), VmPods.podName("b".repeat(250)), "253 characters fit as they are");
    }

    @Test
    void unprivilegedWithoutTokenAndWithTheLaunchersEnvironment() {
        Pod pod = VmPodBuilder.build(vm("web-1"), SETTINGS);
        var podSecurity = pod.getSpec().getSecurityContext();
        assertEquals(List.of(true, 65534L, 65534L, 65534L, "RuntimeDefault"), List.of(podSecurity.getRunAsNonRoot(),
                podSecurity.getRunAsUser(), podSecurity.getRunAsGroup(), podSecurity.getFsGroup(),
                podSecurity.getSeccompProfile().getType()));
        assertEquals(false, pod.getSpec().getAutomountServiceAccountToken());
        assertEquals(false, pod.getSpec().getEnableServiceLinks());
        Container c = qemu(pod);
        var sc = c.getSecurityContext();
        assertEquals(List.of(false, false, true, true, 65534L), List.of(sc.getAllowPrivilegeEscalation(),
                sc.getPrivileged(), sc.getReadOnlyRootFilesystem(), sc.getRunAsNonRoot(), sc.getRunAsUser()));
        assertEquals(List.of("ALL"), sc.getCapabilities().getDrop());
        assertTrue(sc.getCapabilities().getAdd() == null || sc.getCapabilities().getAdd().isEmpty());
        assertNull(pod.getSpec().getSecurityContext().getSysctls() == null
                || pod.getSpec().getSecurityContext().getSysctls().isEmpty() ? null : "sysctls", "no port below 1024");
        assertEquals("registry.local/agentvisor/vm-launcher:1", c.getImage());
        assertEquals("IfNotPresent", c.getImagePullPolicy());
        assertEquals("java", c.getCommand().get(0));
        assertEquals(List.of("-jar", PodSettings.LAUNCHER_JAR, "--"),
                c.getCommand().subList(c.getCommand().size() - 3, c.getCommand().size()));
        assertEquals("qemu-system-x86_64", c.getArgs().get(0));
        Map<String, String> env = c.getEnv().stream().collect(Collectors.toMap(e -> e.getName(), e -> e.getValue()));
        assertEquals(Map.of(VmPodBuilder.ENV_GRACE, "90", VmPodBuilder.ENV_SHUTDOWN_WAIT, "15", VmPodBuilder.ENV_QMP,
                "/run/agentvisor/launcher-qmp.sock"), env);
        assertEquals(90L, pod.getSpec().getTerminationGracePeriodSeconds());
        assertTrue(c.getStdin(), "kubectl attach -it reaches the serial console");
    }

    @Test
    void memoryIsTheVmsPlusTheOverheadAndCpuIsRequestedPerCore() {
        VirtualMachine vm = vm("web-1");
        vm.getSpec().setMemory(new Quantity("1Gi"));
        Cpu cpu = new Cpu();
        cpu.setCores(3);
        vm.getSpec().setCpu(cpu);
        var r = qemu(VmPodBuilder.build(vm, SETTINGS)).getResources();
        assertEquals(new Quantity("1184Mi"), r.getRequests().get("memory"));
        assertEquals(new Quantity("1184Mi"), r.getLimits().get("memory"));
        assertEquals(new Quantity("300m"), r.getRequests().get("cpu"));
        assertFalse(r.getLimits().containsKey("cpu"), "no CPU limit unless asked");
        cpu.setLimitToCores(true);
        assertEquals(new Quantity("3"), qemu(VmPodBuilder.build(vm, SETTINGS)).getResources().getLimits().get("cpu"));
        // an odd quantity is rounded up to whole MiB
        vm.getSpec().setMemory(new Quantity("1000000000"));
        assertEquals(new Quantity("1114Mi"), qemu(VmPodBuilder.build(vm, SETTINGS)).getResources().getLimits()
                .get("memory"));
        assertTrue(argv(VmPodBuilder.build(vm, SETTINGS)).contains("-m 954M"));
    }

    @ParameterizedTest
    @CsvSource({ "Always,Always", "RerunOnFailure,OnFailure", "Once,Never", "Manual,Never" })
    void restartPolicyFollowsTheRunStrategy(RunStrategy strategy, String restartPolicy) {
        VirtualMachine vm = vm("web-1");
        vm.getSpec().setRunStrategy(strategy);
        assertEquals(restartPolicy, VmPodBuilder.build(vm, SETTINGS).getSpec().getRestartPolicy());
    }

    @Test
    void thePodCarriesAHashOfItsSpec() {
        String hash = VmPodBuilder.build(vm("web-1"), SETTINGS).getMetadata().getAnnotations()
                .get(VmPods.POD_SPEC_HASH);
        assertTrue(hash.matches("[0-9a-f]{16}"), hash);
        assertEquals(hash, VmPodBuilder.build(vm("web-1"), SETTINGS).getMetadata().getAnnotations()
                .get(VmPods.POD_SPEC_HASH), "the same spec, the same hash");
        VirtualMachine bigger = vm("web-1");
        bigger.getSpec().setMemory(new Quantity("512Mi"));
        assertFalse(hash.equals(VmPodBuilder.build(bigger, SETTINGS).getMetadata().getAnnotations()
                .get(VmPods.POD_SPEC_HASH)));
        VirtualMachine relabelled = vm("web-1");
        relabelled.getMetadata().setLabels(Map.of("app", "other"));
        assertEquals(hash, VmPodBuilder.build(relabelled, SETTINGS).getMetadata().getAnnotations()
                .get(VmPods.POD_SPEC_HASH), "labels are not the spec");
    }

    @Test
    void aHaltedVmHasNoPod() {
        VirtualMachine vm = vm("web-1");
        vm.getSpec().setRunStrategy(RunStrategy.Halted);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VmPodBuilder.build(vm,
                SETTINGS));
        assertEquals("spec.runStrategy: a Halted VM has no pod", e.getMessage());
    }

    @Test
    void schedulingFieldsArePassedThrough() {
        VirtualMachine vm = vm("web-1");
        vm.getSpec().setNodeSelector(Map.of("disk", "ssd"));
        vm.getSpec().setAffinity(new AffinityBuilder().withNewNodeAffinity()
                .withNewRequiredDuringSchedulingIgnoredDuringExecution().addNewNodeSelectorTerm()
                .addNewMatchExpression().withKey("zone").withOperator("In").withValues("a").endMatchExpression()
                .endNodeSelectorTerm().endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().build());
        vm.getSpec().setTolerations(List.of(new TolerationBuilder().withKey("dedicated").withOperator("Equal")
                .withValue("vms").withEffect("NoSchedule").build()));
        vm.getSpec().setPriorityClassName("vm-high");
        Pod pod = VmPodBuilder.build(vm, SETTINGS);
        assertEquals(Map.of("disk", "ssd"), pod.getSpec().getNodeSelector());
        assertEquals(vm.getSpec().getAffinity(), pod.getSpec().getAffinity());
        assertEquals(vm.getSpec().getTolerations(), pod.getSpec().getTolerations());
        assertEquals("vm-high", pod.getSpec().getPriorityClassName());
        Pod plain = VmPodBuilder.build(vm("web-2"), SETTINGS);
        assertNull(plain.getSpec().getAffinity());
        assertTrue(plain.getSpec().getTolerations() == null || plain.getSpec().getTolerations().isEmpty());
        assertNull(plain.getSpec().getPriorityClassName());
    }

    @Test
    void onlyTheVmsOwnFilesAreMountedNodeFilesReadOnlyClaimsAsAsked() {
        VirtualMachine vm = vm("web-1");
        Disk root = new Disk();
        root.setName("0root"); // starts with a digit: not a valid QEMU id on its own
        PersistentVolumeClaimDisk claim = new PersistentVolumeClaimDisk();
        claim.setClaimName("web-1-root");
        claim.setFile("disk.qcow2");
        root.setPersistentVolumeClaim(claim);
        root.setFormat(DiskFormat.qcow2);
        Disk seed = new Disk();
        seed.setName("seed");
        PersistentVolumeClaimDisk seedClaim = new PersistentVolumeClaimDisk();
        seedClaim.setClaimName("seeds");
        seed.setPersistentVolumeClaim(seedClaim);
        seed.setReadOnly(true);
        Disk tools = new Disk();
        tools.setName("tools");
        tools.setPath("/var/lib/agentvisor/images/tools.img");
        vm.getSpec().setDisks(List.of(root, seed, tools));
        Pod pod = VmPodBuilder.build(vm, SETTINGS);

        Map<String, Volume> volumes = pod.getSpec().getVolumes().stream()
                .collect(Collectors.toMap(Volume::getName, v -> v));
        assertEquals(List.of("agentvisor-run", "boot-kernel", "boot-initrd", "disk-0", "disk-1", "disk-2"),
                pod.getSpec().getVolumes().stream().map(Volume::getName).toList());
        assertTrue(volumes.get("agentvisor-run").getEmptyDir() != null);
        assertEquals("/var/lib/agentvisor/images/vmlinuz", volumes.get("boot-kernel").getHostPath().getPath());
        assertEquals("File", volumes.get("boot-kernel").getHostPath().getType());
        assertEquals("web-1-root", volumes.get("disk-0").getPersistentVolumeClaim().getClaimName());
        assertEquals(false, volumes.get("disk-0").getPersistentVolumeClaim().getReadOnly());
        assertEquals(true, volumes.get("disk-1").getPersistentVolumeClaim().getReadOnly());
        assertEquals("/var/lib/agentvisor/images/tools.img", volumes.get("disk-2").getHostPath().getPath());
        assertEquals("File", volumes.get("disk-2").getHostPath().getType());

        Map<String, VolumeMount> mounts = qemu(pod).getVolumeMounts().stream()
                .collect(Collectors.toMap(VolumeMount::getName, m -> m));
        assertEquals("/run/agentvisor", mounts.get("agentvisor-run").getMountPath());
        assertEquals(List.of(true, true, false, true, true), List.of(mounts.get("boot-kernel").getReadOnly(),
                mounts.get("boot-initrd").getReadOnly(), mounts.get("disk-0").getReadOnly(),
                mounts.get("disk-1").getReadOnly(), mounts.get("disk-2").getReadOnly()));
        assertEquals("/vm/disks/0root", mounts.get("disk-0").getMountPath());
        assertEquals("/vm/images/tools", mounts.get("disk-2").getMountPath());

        List<String> a = qemu(pod).getArgs();
        assertTrue(a.contains("{\"driver\":\"qcow2\",\"node-name\":\"d0\",\"read-only\":false,\"backing\":null,"
                + "\"file\":{\"driver\":\"file\",\"node-name\":\"d0f\",\"filename\":\"/vm/disks/0root/disk.qcow2\","
                + "\"read-only\":false}}"), a.toString());
        assertTrue(a.contains("{\"driver\":\"raw\",\"node-name\":\"d1\",\"read-only\":true,\"file\":{\"driver\":"
                + "\"file\",\"node-name\":\"d1f\",\"filename\":\"/vm/disks/seed/disk.img\",\"read-only\":true}}"),
                a.toString());
        assertTrue(a.contains("{\"driver\":\"raw\",\"node-name\":\"d2\",\"read-only\":true,\"file\":{\"driver\":"
                + "\"file\",\"node-name\":\"d2f\",\"filename\":\"/vm/images/tools\",\"read-only\":true}}"),
                a.toString());
        assertFalse(String.join(" ", a).contains("data-file"));
        assertTrue(a.contains("virtio-blk-pci,drive=d0,id=disk-0root"), a.toString());
    }

    @Test
    void memoryThatDoesNotFitIsRefusedNotWrapped() {
        for (String memory : new String[] {"17Ti", "9223372036854775807Ei", "16Ti"}) {
            VirtualMachine vm = vm("big");
            vm.getSpec().setMemory(new io.fabric8.kubernetes.api.model.Quantity(memory));
            if (memory.equals("16Ti")) {
                // the largest allowed: exact MiB, plus the overhead, without overflow
                assertEquals(new io.fabric8.kubernetes.api.model.Quantity((16L << 20) + SETTINGS.memoryOverheadMiB()
                        + "Mi"), VmPodBuilder.build(vm, SETTINGS).getSpec().getContainers().get(0).getResources()
                        .getLimits().get("memory"));
                continue;
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VmPodBuilder.build(vm,
                    SETTINGS));
            assertEquals("spec.memory: " + memory + " is more than the maximum of 16Ti", e.getMessage());
        }
    }

    @Test
    void aNodePathDiskCannotBeWritable() {
        VirtualMachine vm = vm("web-1");
        Disk shared = new Disk();
        shared.setName("shared");
        shared.setPath("/var/lib/agentvisor/images/shared.img");
        shared.setReadOnly(false);
        vm.getSpec().setDisks(List.of(shared));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VmPodBuilder.build(vm,
                SETTINGS));
        assertEquals("spec.disks[0]: disk shared: a disk from a node path is read-only", e.getMessage());
    }

    @Test
    void listedPortsAreForwardedFromThePodToTheGuest() {
        VirtualMachine vm = vm("web-1");
        Interface nic = new Interface();
        nic.setName("default");
        Port http = new Port();
        http.setName("http");
        http.setPort(8080);
        Port dns = new Port();
        dns.setPort(5353);
        dns.setProtocol(Port.Protocol.UDP);
        nic.setPorts(List.of(http, dns));
        vm.getSpec().setInterfaces(List.of(nic));
        Pod pod = VmPodBuilder.build(vm, SETTINGS);
        List<String> a = qemu(pod).getArgs();
        assertEquals("user,id=net0,hostfwd=tcp::8080-:8080,hostfwd=udp::5353-:5353", a.get(a.indexOf("-netdev") + 1));
        assertEquals("virtio-net-pci,netdev=net0,id=nic0", a.get(a.indexOf("-netdev") + 3));
        assertEquals(List.of("http/8080/TCP", "null/5353/UDP"), qemu(pod).getPorts().stream()
                .map(p -> p.getName() + "/" + p.getContainerPort() + "/" + p.getProtocol()).toList());
        assertTrue(pod.getSpec().getSecurityContext().getSysctls() == null
                || pod.getSpec().getSecurityContext().getSysctls().isEmpty());

        http.setPort(80);
        Pod low = VmPodBuilder.build(vm, SETTINGS);
        assertEquals("net.ipv4.ip_unprivileged_port_start=0", low.getSpec().getSecurityContext().getSysctls().stream()
                .map(s -> s.getName() + "=" + s.getValue()).collect(Collectors.joining(",")),
                "uid 65534 without capabilities binds port 80 only with this sysctl");
    }

    @Test
    void noInterfacesMeansOneWithoutPortsAndAnEmptyListMeansNoNetwork() {
        VirtualMachine vm = vm("web-1");
        List<String> a = qemu(VmPodBuilder.build(vm, SETTINGS)).getArgs();
        assertEquals("user,id=net0", a.get(a.indexOf("-netdev") + 1));
        vm.getSpec().setInterfaces(List.of());
        String none = argv(VmPodBuilder.build(vm, SETTINGS));
        assertTrue(none.contains("-nic none") && !none.contains("-netdev"), none);
    }

    @Test
    void eachAccessCredentialSecretIsAReadOnlyVolumeOfTheQemuContainer() {
        VirtualMachine vm = vm("web-1");
        String without = VmPodBuilder.build(vm, SETTINGS).getMetadata().getAnnotations().get(VmPods.POD_SPEC_HASH);
        vm.getSpec().setAccessCredentials(List.of(sshPublicKey("web-keys", "demo"), userPassword("web-passwords")));
        Pod pod = VmPodBuilder.build(vm, SETTINGS);
        Map<String, Volume> volumes = pod.getSpec().getVolumes().stream()
                .collect(Collectors.toMap(Volume::getName, v -> v));
        Volume keys = volumes.get("access-credential-0");
        assertEquals("web-keys", keys.getSecret().getSecretName());
        assertEquals(0400, keys.getSecret().getDefaultMode());
        assertTrue(keys.getSecret().getOptional(), "a missing Secret does not keep the VM from starting");
        assertEquals("web-passwords", volumes.get("access-credential-1").getSecret().getSecretName());
        Map<String, VolumeMount> mounts = qemu(pod).getVolumeMounts().stream()
                .collect(Collectors.toMap(VolumeMount::getName, m -> m));
        for (String v : List.of("access-credential-0", "access-credential-1")) {
            assertEquals(VmPods.CREDENTIALS_DIR + "/" + v, mounts.get(v).getMountPath(), "mounted, so the kubelet sets "
                    + "it up");
            assertTrue(mounts.get(v).getReadOnly());
        }
        assertFalse(argv(pod).contains("credential"), "QEMU is not told about them");
        assertFalse(pod.getMetadata().getAnnotations().get(VmPods.POD_SPEC_HASH).equals(without),
                "a changed list makes the pod outdated");
        vm.getSpec().setAccessCredentials(List.of());
        assertEquals(without, VmPodBuilder.build(vm, SETTINGS).getMetadata().getAnnotations().get(VmPods.POD_SPEC_HASH),
                "no credentials: the pod of a VM without them is unchanged");
    }

    @Test
    void aBadAccessCredentialIsRefusedNamingTheField() {
        VirtualMachine vm = vm("web-1");
        vm.getSpec().setAccessCredentials(List.of(userPassword("a"), new AccessCredential()));
        assertEquals("spec.accessCredentials[1]: needs exactly one of sshPublicKey and userPassword",
                assertThrows(IllegalArgumentException.class, () -> VmPodBuilder.build(vm, SETTINGS)).getMessage());
        vm.getSpec().setAccessCredentials(List.of(userPassword("a"), sshPublicKey("a", "root")));
        assertEquals("spec.accessCredentials[1]: Secret a is listed twice",
                assertThrows(IllegalArgumentException.class, () -> VmPodBuilder.build(vm, SETTINGS)).getMessage());
        vm.getSpec().setAccessCredentials(List.of(userPassword("../etc")));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> VmPodBuilder.build(vm, SETTINGS)).getMessage()
                .startsWith("spec.accessCredentials[0].userPassword.secretName must be a DNS subdomain"));
    }
}
