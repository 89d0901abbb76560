package io.agentvisor.driver.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QemuCommandLineTest {
    static final String UID = "0b7c3d2e-1111-4a2b-8c3d-123456789abc";

    static VmSpec vm(Path kernel, List<VmSpec.DiskSpec> disks) {
        return new VmSpec("default", "web-1", UID, 256, 2, kernel, null, kernel == null ? null : "console=ttyS0 quiet",
                disks, true);
    }

    @Test
    void argvCarriesTheSpecAndTheChannels(@TempDir Path tmp) {
        VmPaths paths = VmPaths.of(tmp.resolve("state"), Path.of("/run/av"), UID);
        List<String> a = QemuCommandLine.build("qemu-system-x86_64", vm(Path.of("/img/vmlinuz"), null), paths, "tcg");
        String joined = String.join(" ", a);
        assertEquals("qemu-system-x86_64", a.get(0));
        assertTrue(joined.contains("-accel tcg"), joined);
        assertTrue(joined.contains("-m 256M"), joined);
        assertTrue(joined.contains("-smp cores=2,"), joined);
        assertTrue(joined.contains("-uuid " + UID), joined);
        assertTrue(joined.contains("-nic none"), joined);
        assertTrue(joined.contains("-kernel /img/vmlinuz"), joined);
        // the kernel command line is one argv element, spaces and all
        assertTrue(a.contains("console=ttyS0 quiet"));
        assertTrue(joined.contains("path=/run/av/" + UID + "/qga,server=on,wait=off"), joined);
        assertTrue(joined.contains("name=org.qemu.guest_agent.0"), joined);
        assertTrue(joined.contains("path=/run/av/" + UID + "/qmp,server=on"), joined);
        assertFalse(joined.contains("-cpu host"), joined);
    }

    @Test
    void commasInPathsAreEscapedAndDisksAreJson(@TempDir Path tmp) {
        VmPaths paths = VmPaths.of(tmp.resolve("st,ate"), Path.of("/run/av"), UID);
        List<String> a = QemuCommandLine.build("qemu-system-x86_64",
                vm(null, List.of(new VmSpec.DiskSpec("root", Path.of("/img/a,b\".qcow2"), "qcow2", true))), paths, "kvm");
        String joined = String.join(" ", a);
        assertTrue(joined.contains("st,,ate"), joined);
        assertTrue(joined.contains("\"filename\":\"/img/a,b\\\".qcow2\""), joined);
        assertTrue(joined.contains("\"read-only\":true"), joined);
        assertTrue(joined.contains("bootindex=0"), joined);
        assertTrue(joined.contains("-cpu host"), joined);
    }

    @Test
    void namesThatCouldEscapeOrInjectAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new VmSpec("default", "../etc", UID, 256, 1,
                Path.of("/k"), null, null, null, true));
        assertThrows(IllegalArgumentException.class, () -> new VmSpec("default", "a,b", UID, 256, 1,
                Path.of("/k"), null, null, null, true));
        assertThrows(IllegalArgumentException.class, () -> new VmSpec("default", "ok", "../../x", 256, 1,
                Path.of("/k"), null, null, null, true));
        assertThrows(IllegalArgumentException.class, () -> new VmSpec.DiskSpec("a/b", Path.of("/x"), "raw", false));
        assertThrows(IllegalArgumentException.class, () -> VmPaths.of(Path.of("/s"), Path.of("/r"), "x/../../y"));
        assertThrows(IllegalArgumentException.class, () -> new VmSpec("default", "ok", UID, 256, 1, null, null, null,
                null, true), "nothing to boot");
    }

    @Test
    void aSocketPathOverTheUnixLimitIsAClearError() {
        Path longRun = Path.of("/tmp/" + "x".repeat(80));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VmPaths.of(Path.of("/s"), longRun, UID));
        assertTrue(e.getMessage().contains("AF_UNIX"), e.getMessage());
    }

    @Test
    void directoriesArePrivate(@TempDir Path tmp) throws IOException {
        VmPaths p = VmPaths.of(tmp.resolve("state"), tmp.resolve("run"), UID);
        p.create();
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p.dir())));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p.runDir())));
    }

    @Test
    void imagesOutsideTheAllowedDirectoriesAreRefusedEvenThroughSymlinks(@TempDir Path tmp) throws IOException {
        Path images = Files.createDirectories(tmp.resolve("images"));
        Path kernel = Files.writeString(images.resolve("vmlinuz"), "k");
        Path secret = Files.writeString(tmp.resolve("secret"), "s");
        Files.createSymbolicLink(images.resolve("sneaky"), secret);
        ImageDirs dirs = new ImageDirs(List.of(images));
        assertEquals(kernel.toRealPath(), dirs.check("kernel", kernel.toString()));
        assertThrows(IllegalArgumentException.class, () -> dirs.check("kernel", secret.toString()));
        assertThrows(IllegalArgumentException.class, () -> dirs.check("kernel", images.resolve("sneaky").toString()));
        assertThrows(IllegalArgumentException.class, () -> dirs.check("kernel", images + "/../secret"));
        assertThrows(IllegalArgumentException.class, () -> dirs.check("kernel", "relative/vmlinuz"));
        assertThrows(IllegalArgumentException.class, () -> dirs.check("kernel", images.resolve("missing").toString()));
    }
}
