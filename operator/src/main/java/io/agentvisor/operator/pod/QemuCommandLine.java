package io.agentvisor.operator.pod;

import java.util.ArrayList;
import java.util.List;

import io.agentvisor.api.v1alpha1.VmPods;

/**
 * QEMU's argv for one VM inside its pod, as a list (never through a shell): a pure function of the {@link VmSpec}.
 * Every value that comes from a CR was validated by {@link VmSpec}; values inside a comma-separated option are
 * escaped (',' → ',,') and disks use JSON {@code -blockdev}, which needs no escaping at all.
 *
 * <ul>
 * <li>TCG with the translation buffer pinned ({@code tb-size}): QEMU 7.2's default grows towards 1 GiB, which a
 * pod's memory limit could not hold; or KVM ({@link Acceleration#KVM}) with exactly the options the node's KVM
 * probe ran.</li>
 * <li>The serial console is the container's stdio ({@code kubectl logs}; {@code kubectl attach -it} for input):
 * {@code signal=off}, so a Ctrl-C typed into the console reaches the guest, not QEMU.</li>
 * <li>Two QMP monitors in the pod's run directory: {@link VmPods#QMP_SOCKET} for the node driver,
 * {@link VmPods#LAUNCHER_QMP_SOCKET} for the launcher (graceful stop); {@link VmPods#AGENT_SOCKET} is the guest
 * agent's chardev.</li>
 * <li>The network is QEMU's user-mode stack inside the pod's network namespace (no privileges): the guest reaches
 * out through the pod's address, and each listed port is forwarded from the pod to the same port in the guest.</li>
 * <li>Disks: {@code "backing": null} on qcow2 nodes (an image header naming a backing file is never followed) and
 * no {@code data-file}; every id QEMU sees is ours ({@code d<index>}, {@code disk-<name>}), valid even when a disk
 * name starts with a digit.</li>
 * </ul>
 */
public final class QemuCommandLine {
    public static final String AGENT_PORT_NAME = "org.qemu.guest_agent.0";
    public static final String QEMU_BINARY = "qemu-system-x86_64";
    /** Where the pod mounts the VM's files (see {@link VmPodBuilder}). */
    public static final String KERNEL_PATH = "/vm/boot/kernel";
    public static final String INITRD_PATH = "/vm/boot/initrd";

    private QemuCommandLine() {
    }

    /** In-pod path of a disk's image. */
    public static String diskPath(VmSpec.DiskSpec d) {
        if (d.source() instanceof VmSpec.Claim c) {
            return claimMountPath(d) + "/" + c.file();
        }
        return "/vm/images/" + d.name();
    }

    /** In-pod mount point of a claim disk's volume. */
    public static String claimMountPath(VmSpec.DiskSpec d) {
        return "/vm/disks/" + d.name();
    }

    public static List<String> build(VmSpec vm, int tbSizeMiB) {
        return build(vm, tbSizeMiB, Acceleration.TCG);
    }

    /** With KVM: {@link VmPods#KVM_QEMU_OPTIONS} (what the node's KVM probe tested) instead of TCG. */
    public static List<String> build(VmSpec vm, int tbSizeMiB, Acceleration acceleration) {
        if (tbSizeMiB < 1) {
            throw new IllegalArgumentException("tb-size must be at least 1 MiB, not " + tbSizeMiB);
        }
        String run = VmPods.RUN_DIR + "/";
        List<String> a = new ArrayList<>();
        a.add(QEMU_BINARY);
        a.addAll(List.of("-name", "guest=" + opt(vm.namespace() + "/" + vm.name())));
        a.addAll(List.of("-uuid", vm.uid()));
        if (acceleration == Acceleration.KVM) {
            a.addAll(VmPods.KVM_QEMU_OPTIONS);
        } else {
            a.addAll(List.of("-machine", "q35"));
            a.addAll(List.of("-accel", "tcg,tb-size=" + tbSizeMiB));
        }
        a.addAll(List.of("-m", vm.memoryMiB() + "M"));
        a.addAll(List.of("-smp", "cores=" + vm.cores() + ",threads=1,sockets=1"));
        // no defaults: no NIC, no VGA, no monitor, no serial we did not ask for; no /etc/qemu config either
        a.addAll(List.of("-nodefaults", "-no-user-config", "-display", "none"));
        a.addAll(List.of("-msg", "timestamp=on"));
        a.addAll(List.of("-chardev", "stdio,id=console0,signal=off", "-serial", "chardev:console0"));
        a.addAll(List.of("-chardev", "socket,id=qmp0,path=" + run + VmPods.QMP_SOCKET + ",server=on,wait=off",
                "-mon", "chardev=qmp0,mode=control"));
        a.addAll(List.of("-chardev", "socket,id=qmp1,path=" + run + VmPods.LAUNCHER_QMP_SOCKET + ",server=on,wait=off",
                "-mon", "chardev=qmp1,mode=control"));
        if (vm.agent()) {
            // the port's id makes QEMU report the guest opening and closing its end (QMP VSERPORT_CHANGE)
            a.addAll(List.of("-chardev", "socket,id=" + VmPods.AGENT_CHARDEV + ",path=" + run + VmPods.AGENT_SOCKET
                    + ",server=on,wait=off", "-device", "virtio-serial-pci,id=vser0",
                    "-device", "virtserialport,bus=vser0.0,chardev=" + VmPods.AGENT_CHARDEV + ",id="
                    + VmPods.AGENT_PORT_ID + ",name=" + AGENT_PORT_NAME));
        }
        if (vm.network()) {
            StringBuilder netdev = new StringBuilder("user,id=net0");
            for (VmSpec.PortSpec p : vm.ports()) {
                // every pod address (the Service's endpoints) -> the guest's address on the user-mode network
                netdev.append(",hostfwd=").append(p.protocol().toLowerCase()).append("::").append(p.port())
                        .append("-:").append(p.port());
            }
            a.addAll(List.of("-netdev", netdev.toString(), "-device", "virtio-net-pci,netdev=net0,id=nic0"));
        } else {
            a.addAll(List.of("-nic", "none"));
        }
        if (vm.kernel() != null) {
            a.addAll(List.of("-kernel", KERNEL_PATH));
            if (vm.initrd() != null) {
                a.addAll(List.of("-initrd", INITRD_PATH));
            }
            if (vm.cmdline() != null) {
                a.addAll(List.of("-append", vm.cmdline()));
            }
        }
        int i = 0;
        for (VmSpec.DiskSpec d : vm.disks()) {
            String node = "d" + i;
            boolean ro = d.readOnly();
            StringBuilder blockdev = new StringBuilder("{\"driver\":\"").append(d.format()).append("\",\"node-name\":\"")
                    .append(node).append("\",\"read-only\":").append(ro);
            if (d.format().equals("qcow2")) {
                blockdev.append(",\"backing\":null");
            }
            blockdev.append(",\"file\":{\"driver\":\"file\",\"node-name\":\"").append(node)
                    .append("f\",\"filename\":").append(jsonString(diskPath(d))).append(",\"read-only\":").append(ro)
                    .append("}}");
            a.addAll(List.of("-blockdev", blockdev.toString()));
            a.addAll(List.of("-device", "virtio-blk-pci,drive=" + node + ",id=disk-" + d.name()
                    + (i == 0 && vm.kernel() == null ? ",bootindex=0" : "")));
            i++;
        }
        return List.copyOf(a);
    }

    /** QEMU option value escaping: a literal comma is written twice. */
    static String opt(String value) {
        return value.replace(",", ",,");
    }

    static String jsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
