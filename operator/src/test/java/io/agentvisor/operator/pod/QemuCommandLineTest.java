package io.agentvisor.operator.pod;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class QemuCommandLineTest {
    static final String UID = "0b7c3d2e-1111-4a2b-8c3d-123456789abc";

    static VmSpec vm(String kernel, List<VmSpec.DiskSpec> disks) {
        return new VmSpec("default", "web-1", UID, 256, 2, kernel, null, kernel == null ? null : "console=ttyS0 quiet",
                disks, false, List.of(), true);
    }

    /** The value after an option, e.g. after("-accel") = "tcg,tb-size=32". */
    static List<String> after(List<String> argv, String option) {
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < argv.size() - 1; i++) {
            if (argv.get(i).equals(option)) {
                out.add(argv.get(i + 1));
            }
        }
        return out;
    }

    @Test
    void tcgWithAPinnedTranslationBufferTheConsoleOnStdioAndThreeSocketsInTheRunDirectory() {
        List<String> a = QemuCommandLine.build(vm("/img/vmlinuz", null), 32);
        assertEquals("qemu-system-x86_64", a.get(0));
        assertEquals(List.of("tcg,tb-size=32"), after(a, "-accel"));
        assertEquals(List.of("256M"), after(a, "-m"));
        assertEquals(List.of("cores=2,threads=1,sockets=1"), after(a, "-smp"));
        assertEquals(List.of(UID), after(a, "-uuid"));
        assertEquals(List.of("/vm/boot/kernel"), after(a, "-kernel"));
        assertEquals(List.of("console=ttyS0 quiet"), after(a, "-append"), "one argv element, spaces and all");
        assertEquals(List.of("stdio,id=console0,signal=off",
                "socket,id=qmp0,path=/run/agentvisor/qmp.sock,server=on,wait=off",
                "socket,id=qmp1,path=/run/agentvisor/launcher-qmp.sock,server=on,wait=off",
                "socket,id=qga0,path=/run/agentvisor/qga.sock,server=on,wait=off"), after(a, "-chardev"));
        assertEquals(List.of("chardev:console0"), after(a, "-serial"));
        assertEquals(List.of("chardev=qmp0,mode=control", "chardev=qmp1,mode=control"), after(a, "-mon"));
        assertTrue(after(a, "-device").contains("virtserialport,bus=vser0.0,chardev=qga0,id=qga0-port,name=org.qemu.guest_agent.0"));
        assertEquals(List.of("none"), after(a, "-nic"));
        assertTrue(a.contains("-nodefaults") && a.contains("-no-user-config"));
        assertTrue(!a.contains("-daemonize") && !a.contains("-pidfile"), "QEMU is the launcher's child, in the pod");
    }

    @Test
    void theVmNameIsEscapedAndDiskIdsAreOurs() {
        VmSpec spec = new VmSpec("default", "a.b", UID, 256, 1, null, null, null,
                List.of(new VmSpec.DiskSpec("9lives", new VmSpec.Claim("c", "my\"disk.img"), "raw", false)),
                false, List.of(), true);
        List<String> a = QemuCommandLine.build(spec, 16);
        assertEquals(List.of("guest=default/a.b"), after(a, "-name"));
        assertEquals(List.of("{\"driver\":\"raw\",\"node-name\":\"d0\",\"read-only\":false,\"file\":{\"driver\":"
                + "\"file\",\"node-name\":\"d0f\",\"filename\":\"/vm/disks/9lives/my\\\"disk.img\",\"read-only\":false}}"),
                after(a, "-blockdev"));
        assertEquals(List.of("virtio-blk-pci,drive=d0,id=disk-9lives,bootindex=0"), after(a, "-device").subList(2, 3));
        assertEquals("x,,y", QemuCommandLine.opt("x,y"));
    }

    @Test
    void namesThatCouldEscapeOrInjectAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new VmSpec("default", "../etc", UID, 256, 1,
                "/k", null, null, null, false, null, true));
        assertThrows(IllegalArgumentException.class, () -> new VmSpec("default", "a,b", UID, 256, 1,
                "/k", null, null, null, false, null, true));
        assertThrows(IllegalArgumentException.class, () -> new VmSpec("default", "ok", "../../x", 256, 1,
                "/k", null, null, null, false, null, true));
        assertThrows(IllegalArgumentException.class, () -> new VmSpec.DiskSpec("a/b", new VmSpec.HostFile("/x"),
                "raw", true));
        assertThrows(IllegalArgumentException.class, () -> new VmSpec.Claim("c", "../x"));
        assertThrows(IllegalArgumentException.class, () -> new VmSpec.Claim("c", ".."));
        assertThrows(IllegalArgumentException.class, () -> new VmSpec("default", "ok", UID, 256, 1, null, null, null,
                null, false, null, true), "nothing to boot");
        assertThrows(IllegalArgumentException.class, () -> new VmSpec("default", "ok", UID, 256, 1, "/k", null, null,
                null, false, List.of(new VmSpec.PortSpec("p", 80, "TCP")), true), "ports without a network");
        assertThrows(IllegalArgumentException.class, () -> QemuCommandLine.build(vm("/k", null), 0));
    }
}
