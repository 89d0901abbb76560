package io.agentvisor.driver.qemu;

import java.util.ArrayList;
import java.util.List;

/**
 * QEMU's argv for one VM, as a list (never through a shell). Every value that comes from a CR was validated by
 * {@link VmSpec}/{@link ImageDirs}; paths that go inside a comma-separated option are escaped (',' → ',,') and
 * disks use JSON -blockdev, which needs no escaping at all.
 *
 * <p>QEMU daemonizes itself ({@code -daemonize}: fork + setsid, parent exits once the VM is set up), so it runs in
 * its own session, outlives the driver and is re-parented away from it; {@code -pidfile} gives its pid and, being
 * locked by QEMU, also stops a second QEMU for the same VM from starting. {@code -uuid} carries the object's uid,
 * which is how a restarted driver recognises the process in /proc/&lt;pid&gt;/cmdline.
 */
public final class QemuCommandLine {
    public static final String AGENT_PORT_NAME = "org.qemu.guest_agent.0";

    private QemuCommandLine() {
    }

    public static List<String> build(String qemuBinary, VmSpec vm, VmPaths paths, String accelerator) {
        List<String> a = new ArrayList<>();
        a.add(qemuBinary);
        a.addAll(List.of("-name", "guest=" + vm.namespace() + "/" + vm.name()));
        a.addAll(List.of("-uuid", vm.uid()));
        a.addAll(List.of("-machine", "q35"));
        a.addAll(List.of("-accel", accelerator));
        if (Accelerator.KVM.equals(accelerator)) {
            a.addAll(List.of("-cpu", "host"));
        }
        a.addAll(List.of("-m", vm.memoryMiB() + "M"));
        a.addAll(List.of("-smp", "cores=" + vm.cores() + ",threads=1,sockets=1"));
        // no defaults: no NIC, no VGA, no monitor, no serial we did not ask for; no /etc/qemu config either
        a.addAll(List.of("-nodefaults", "-no-user-config", "-display", "none", "-nic", "none"));
        a.addAll(List.of("-daemonize", "-pidfile", paths.pidFile().toString()));
        a.addAll(List.of("-msg", "timestamp=on"));
        a.addAll(List.of("-chardev", "file,id=console0,path=" + opt(paths.consoleLog().toString()),
                "-serial", "chardev:console0"));
        a.addAll(List.of("-chardev", "socket,id=qmp0,path=" + opt(paths.qmpSocket().toString()) + ",server=on,wait=off",
                "-mon", "chardev=qmp0,mode=control"));
        if (vm.agent()) {
            a.addAll(List.of("-chardev", "socket,id=qga0,path=" + opt(paths.agentSocket().toString())
                    + ",server=on,wait=off",
                    "-device", "virtio-serial-pci,id=vser0",
                    "-device", "virtserialport,bus=vser0.0,chardev=qga0,name=" + AGENT_PORT_NAME));
        }
        if (vm.kernel() != null) {
            a.addAll(List.of("-kernel", vm.kernel().toString()));
            if (vm.initrd() != null) {
                a.addAll(List.of("-initrd", vm.initrd().toString()));
            }
            if (vm.cmdline() != null) {
                a.addAll(List.of("-append", vm.cmdline()));
            }
        }
        int i = 0;
        for (VmSpec.DiskSpec d : vm.disks()) {
            String node = "disk" + i;
            a.addAll(List.of("-blockdev", "{\"driver\":\"" + d.format() + "\",\"node-name\":\"" + node
                    + "\",\"read-only\":" + d.readOnly() + ",\"file\":{\"driver\":\"file\",\"filename\":"
                    + jsonString(d.path().toString()) + ",\"read-only\":" + d.readOnly() + "}}"));
            a.addAll(List.of("-device", "virtio-blk-pci,drive=" + node + ",id=" + d.name()
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
