package io.agentvisor.operator.pod;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.agentvisor.api.v1alpha1.AccessCredential;
import io.agentvisor.api.v1alpha1.Bounds;
import io.agentvisor.api.v1alpha1.Disk;
import io.agentvisor.api.v1alpha1.Interface;
import io.agentvisor.api.v1alpha1.Port;
import io.agentvisor.api.v1alpha1.RunStrategy;
import io.agentvisor.api.v1alpha1.SpecValidation;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineSpec;
import io.agentvisor.api.v1alpha1.VmPods;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Sysctl;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * The VM's pod as a pure function of the VirtualMachine and the operator's {@link PodSettings} (the contract is
 * {@link VmPods}). Invalid input is an {@link IllegalArgumentException} naming the field and the reason.
 *
 * <ul>
 * <li>Unprivileged: uid/gid/fsGroup 65534, runAsNonRoot, no privilege escalation, every capability dropped,
 * read-only root file system, seccomp RuntimeDefault, no service-account token, no service links.</li>
 * <li>Memory request = limit = VM memory + {@link PodSettings#memoryOverheadMiB()}; CPU request = cores x
 * {@link PodSettings#cpuRequestMilliPerCore()}, a CPU limit (one per core) only with {@code cpu.limitToCores}.</li>
 * <li>Only the VM's own files are mounted: kernel and initrd and node-path disks as single read-only hostPath files
 * (type File), claim disks as their PersistentVolumeClaim (read-only unless the disk is writable).</li>
 * <li>Each Secret of {@code spec.accessCredentials} as a read-only secret volume (mode 0400, optional: a missing
 * Secret does not keep the VM from starting; the driver's condition says so), so only the kubelet of the VM's node
 * fetches it (node authorizer) and the node driver reads it there.</li>
 * <li>With {@link Acceleration#KVM}: one {@link VmPods#KVM_RESOURCE} requested (the kubelet gives the container
 * /dev/kvm) and QEMU under KVM.</li>
 * <li>restartPolicy from runStrategy: Always → Always, RerunOnFailure → OnFailure, Once/Manual → Never (Halted has no
 * pod).</li>
 * </ul>
 */
public final class VmPodBuilder {
    public static final long NOBODY = 65534L;
    /** Environment of the launcher. */
    public static final String ENV_GRACE = "AGENTVISOR_TERMINATION_GRACE_SECONDS";
    public static final String ENV_SHUTDOWN_WAIT = "AGENTVISOR_GUEST_SHUTDOWN_WAIT_SECONDS";
    public static final String ENV_QMP = "AGENTVISOR_LAUNCHER_QMP";
    private static final long MIB = 1L << 20;

    private VmPodBuilder() {
    }

    /** The validated spec QEMU and the pod are built from. */
    public static VmSpec vmSpec(VirtualMachine vm) {
        VirtualMachineSpec s = vm.getSpec();
        if (s == null) {
            throw new IllegalArgumentException("spec: is required");
        }
        if (s.getMemory() == null) {
            throw new IllegalArgumentException("spec.memory: is required");
        }
        BigDecimal bytes;
        try {
            bytes = Quantity.getAmountInBytes(s.getMemory());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("spec.memory: \"" + s.getMemory() + "\" is not a quantity");
        }
        if (bytes.compareTo(BigDecimal.valueOf(SpecValidation.MAX_MEMORY_BYTES)) > 0) {
            throw new IllegalArgumentException("spec.memory: " + s.getMemory() + " is more than the maximum of 16Ti");
        }
        long mib = bytes.add(BigDecimal.valueOf(MIB - 1)).divideToIntegralValue(BigDecimal.valueOf(MIB))
                .longValueExact();
        int cores = s.getCpu() == null || s.getCpu().getCores() == null ? 1 : s.getCpu().getCores();
        String kernel = null;
        String initrd = null;
        String cmdline = null;
        if (s.getBoot() != null && s.getBoot().getKernel() != null) {
            kernel = s.getBoot().getKernel();
            initrd = s.getBoot().getInitrd();
            cmdline = s.getBoot().getCmdline();
        }
        List<VmSpec.DiskSpec> disks = new ArrayList<>();
        if (s.getDisks() != null) {
            for (int i = 0; i < s.getDisks().size(); i++) {
                Disk d = s.getDisks().get(i);
                String f = "spec.disks[" + i + "]";
                if ((d.getPath() == null) == (d.getPersistentVolumeClaim() == null)) {
                    throw new IllegalArgumentException(f + ": needs exactly one of path and persistentVolumeClaim");
                }
                String format = d.getFormat() == null ? "raw" : d.getFormat().name();
                try {
                    if (d.getPersistentVolumeClaim() != null) {
                        String file = d.getPersistentVolumeClaim().getFile() == null ? "disk.img"
                                : d.getPersistentVolumeClaim().getFile();
                        disks.add(new VmSpec.DiskSpec(d.getName(), new VmSpec.Claim(
                                d.getPersistentVolumeClaim().getClaimName(), file), format,
                                Boolean.TRUE.equals(d.getReadOnly())));
                    } else {
                        disks.add(new VmSpec.DiskSpec(d.getName(), new VmSpec.HostFile(d.getPath()), format,
                                !Boolean.FALSE.equals(d.getReadOnly())));
                    }
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(f + ": " + e.getMessage(), e);
                }
            }
        }
        boolean network = true;
        List<VmSpec.PortSpec> ports = new ArrayList<>();
        if (s.getInterfaces() != null) {
            network = !s.getInterfaces().isEmpty();
            for (Interface nic : s.getInterfaces()) {
                if (nic.getPorts() != null) {
                    for (Port p : nic.getPorts()) {
                        ports.add(new VmSpec.PortSpec(p.getName(), p.getPort() == null ? 0 : p.getPort(),
                                p.getProtocol() == null ? "TCP" : p.getProtocol().name()));
                    }
                }
            }
        }
        return new VmSpec(vm.getMetadata().getNamespace(), vm.getMetadata().getName(), vm.getMetadata().getUid(), mib,
                cores, kernel, initrd, cmdline, disks, network, ports, true);
    }

    public static String restartPolicy(RunStrategy strategy) {
        return switch (strategy) {
            case Always -> "Always";
            case RerunOnFailure -> "OnFailure";
            case Once, Manual -> "Never";
            case Halted -> throw new IllegalArgumentException("spec.runStrategy: a Halted VM has no pod");
        };
    }

    public static Pod build(VirtualMachine vm, PodSettings settings) {
        VmSpec spec = vmSpec(vm);
        RunStrategy strategy = vm.getSpec().getRunStrategy() == null ? RunStrategy.Always
                : vm.getSpec().getRunStrategy();
        VirtualMachineSpec s = vm.getSpec();
        String name = vm.getMetadata().getName();

        Map<String, String> labels = new LinkedHashMap<>();
        if (vm.getMetadata().getLabels() != null) {
            labels.putAll(vm.getMetadata().getLabels()); // so Services and policies can select VMs' pods by VM labels
        }
        labels.put(VmPods.APP_LABEL, VmPods.APP);
        labels.put(VmPods.VM_LABEL, VmPods.vmLabelValue(name));
        labels.put(VmPods.VM_UID_LABEL, vm.getMetadata().getUid());

        List<Volume> volumes = new ArrayList<>();
        List<VolumeMount> mounts = new ArrayList<>();
        volumes.add(new VolumeBuilder().withName(VmPods.RUN_VOLUME).withNewEmptyDir().endEmptyDir().build());
        mounts.add(new VolumeMountBuilder().withName(VmPods.RUN_VOLUME).withMountPath(VmPods.RUN_DIR).build());
        if (spec.kernel() != null) {
            hostFile(volumes, mounts, "boot-kernel", spec.kernel(), QemuCommandLine.KERNEL_PATH);
            if (spec.initrd() != null) {
                hostFile(volumes, mounts, "boot-initrd", spec.initrd(), QemuCommandLine.INITRD_PATH);
            }
        }
        for (int i = 0; i < spec.disks().size(); i++) {
            VmSpec.DiskSpec d = spec.disks().get(i);
            String volume = "disk-" + i;
            if (d.source() instanceof VmSpec.HostFile h) {
                hostFile(volumes, mounts, volume, h.path(), QemuCommandLine.diskPath(d));
            } else {
                VmSpec.Claim c = (VmSpec.Claim) d.source();
                volumes.add(new VolumeBuilder().withName(volume).withNewPersistentVolumeClaim()
                        .withClaimName(c.claimName()).withReadOnly(d.readOnly()).endPersistentVolumeClaim().build());
                mounts.add(new VolumeMountBuilder().withName(volume).withMountPath(QemuCommandLine.claimMountPath(d))
                        .withReadOnly(d.readOnly()).build());
            }
        }

        accessCredentials(s, volumes, mounts);

        List<ContainerPort> ports = new ArrayList<>();
        boolean lowPort = false;
        for (VmSpec.PortSpec p : spec.ports()) {
            ports.add(new ContainerPortBuilder().withName(p.name()).withContainerPort(p.port())
                    .withProtocol(p.protocol()).build());
            lowPort |= p.port() < 1024;
        }

        long memoryMiB = Math.addExact(spec.memoryMiB(), settings.memoryOverheadMiB());
        Quantity memory = new Quantity(memoryMiB + "Mi");
        ResourceRequirementsBuilder resources = new ResourceRequirementsBuilder()
                .addToRequests("memory", memory).addToLimits("memory", memory)
                .addToRequests("cpu", new Quantity((long) spec.cores() * settings.cpuRequestMilliPerCore() + "m"));
        if (s.getCpu() != null && Boolean.TRUE.equals(s.getCpu().getLimitToCores())) {
            resources.addToLimits("cpu", new Quantity(Integer.toString(spec.cores())));
        }
        if (settings.acceleration() == Acceleration.KVM) {
            // /dev/kvm from the node driver's device plugin: only nodes whose KVM probe passed offer it
            resources.addToRequests(VmPods.KVM_RESOURCE, new Quantity("1"))
                    .addToLimits(VmPods.KVM_RESOURCE, new Quantity("1"));
        }

        List<String> command = new ArrayList<>();
        command.add("java");
        command.addAll(settings.launcherJvmOptions());
        command.addAll(List.of("-jar", PodSettings.LAUNCHER_JAR, "--"));
        Container qemu = new ContainerBuilder().withName(VmPods.CONTAINER).withImage(settings.launcherImage())
                .withImagePullPolicy(settings.imagePullPolicy())
                .withCommand(command).withArgs(QemuCommandLine.build(spec, settings.tbSizeMiB(), settings.acceleration()))
                .withEnv(new EnvVar(ENV_GRACE, Long.toString(settings.terminationGraceSeconds()), null),
                        new EnvVar(ENV_SHUTDOWN_WAIT, Long.toString(settings.guestShutdownWaitSeconds()), null),
                        new EnvVar(ENV_QMP, VmPods.RUN_DIR + "/" + VmPods.LAUNCHER_QMP_SOCKET, null))
                // the serial console: kubectl logs reads it, kubectl attach -it types into it
                .withStdin(true).withTty(false)
                .withPorts(ports).withResources(resources.build()).withVolumeMounts(mounts)
                .withSecurityContext(new SecurityContextBuilder().withAllowPrivilegeEscalation(false)
                        .withPrivileged(false).withReadOnlyRootFilesystem(true).withRunAsNonRoot(true)
                        .withRunAsUser(NOBODY).withRunAsGroup(NOBODY)
                        .withNewCapabilities().withDrop("ALL").endCapabilities().build())
                .withTerminationMessagePolicy("FallbackToLogsOnError")
                .build();

        PodSecurityContextBuilder podSecurity = new PodSecurityContextBuilder().withRunAsNonRoot(true)
                .withRunAsUser(NOBODY).withRunAsGroup(NOBODY).withFsGroup(NOBODY)
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile();
        if (lowPort) {
            // QEMU binds the forwarded ports as uid 65534 without capabilities (a safe sysctl from Kubernetes 1.22)
            podSecurity.withSysctls(new Sysctl("net.ipv4.ip_unprivileged_port_start", "0"));
        }

        Pod pod = new PodBuilder()
                .withNewMetadata().withName(VmPods.podName(name)).withNamespace(vm.getMetadata().getNamespace())
                .withLabels(labels)
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion(vm.getApiVersion())
                        .withKind(vm.getKind()).withName(name).withUid(vm.getMetadata().getUid())
                        .withController(true).withBlockOwnerDeletion(true).build())
                .endMetadata()
                .withNewSpec()
                .withRestartPolicy(restartPolicy(strategy))
                .withTerminationGracePeriodSeconds(settings.terminationGraceSeconds())
                .withAutomountServiceAccountToken(false).withEnableServiceLinks(false)
                .withSecurityContext(podSecurity.build())
                .withNodeSelector(s.getNodeSelector() == null ? null : new LinkedHashMap<>(s.getNodeSelector()))
                .withAffinity(s.getAffinity())
                .withTolerations(s.getTolerations())
                .withPriorityClassName(s.getPriorityClassName())
                .withContainers(qemu).withVolumes(volumes)
                .endSpec().build();
        pod.getMetadata().setAnnotations(Map.of(VmPods.POD_SPEC_HASH, specHash(pod)));
        return pod;
    }

    /** A hash of the pod's spec as built here (the apiserver adds defaults, so a stored pod is not hashed again). */
    public static String specHash(Pod pod) {
        try {
            byte[] json = SERIALIZATION.asJson(pod.getSpec()).getBytes(StandardCharsets.UTF_8);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json)).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    /** Secret volumes of spec.accessCredentials, in list order; a bad entry is refused naming its field. */
    static void accessCredentials(VirtualMachineSpec s, List<Volume> volumes, List<VolumeMount> mounts) {
        List<AccessCredential> creds = s.getAccessCredentials();
        if (creds == null) {
            return;
        }
        if (creds.size() > Bounds.ACCESS_CREDENTIALS) {
            throw new IllegalArgumentException("spec.accessCredentials: " + creds.size() + " entries, at most "
                    + Bounds.ACCESS_CREDENTIALS);
        }
        java.util.Set<String> secrets = new java.util.HashSet<>();
        for (int i = 0; i < creds.size(); i++) {
            AccessCredential c = creds.get(i);
            String f = "spec.accessCredentials[" + i + "]";
            if (c == null || (c.getSshPublicKey() == null) == (c.getUserPassword() == null)) {
                throw new IllegalArgumentException(f + ": needs exactly one of sshPublicKey and userPassword");
            }
            String secret = Names.requireDnsSubdomain(f + (c.getSshPublicKey() != null ? ".sshPublicKey"
                    : ".userPassword") + ".secretName", c.secretName());
            if (!secrets.add(secret)) {
                throw new IllegalArgumentException(f + ": Secret " + secret + " is listed twice");
            }
            String volume = VmPods.credentialVolume(i);
            volumes.add(new VolumeBuilder().withName(volume).withNewSecret().withSecretName(secret)
                    .withDefaultMode(0400).withOptional(true).endSecret().build());
            mounts.add(new VolumeMountBuilder().withName(volume).withMountPath(VmPods.CREDENTIALS_DIR + "/" + volume)
                    .withReadOnly(true).build());
        }
    }

    private static void hostFile(List<Volume> volumes, List<VolumeMount> mounts, String volume, String nodePath,
            String podPath) {
        volumes.add(new VolumeBuilder().withName(volume).withNewHostPath().withPath(nodePath).withType("File")
                .endHostPath().build());
        mounts.add(new VolumeMountBuilder().withName(volume).withMountPath(podPath).withReadOnly(true).build());
    }
}
