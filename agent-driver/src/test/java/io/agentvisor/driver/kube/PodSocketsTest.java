package io.agentvisor.driver.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PodSocketsTest {
    static final String UID = "0b7c3d2e-1111-4a2b-8c3d-123456789abc";

    static DriverConfig config(Path run, Path kubelet) {
        return new DriverConfig("node-a", run, kubelet, Path.of("/proc"), "qemu-system-x86_64", Path.of("/dev/kvm"),
                Duration.ofSeconds(10));
    }

    @Test
    void theLinkLeadsToThePodsRunVolumeAndASocketThereIsUsable(@TempDir Path tmp) throws IOException {
        PodSockets s = PodSockets.of(config(tmp.resolve("run"), tmp.resolve("kubelet")), UID);
        assertEquals(tmp.resolve("kubelet/pods/" + UID + "/volumes/kubernetes.io~empty-dir/agentvisor-run"),
                s.volumeDir());
        Files.createDirectories(s.volumeDir());
        s.createLink();
        s.createLink();
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(tmp.resolve("run"))));
        assertFalse(PodSockets.isSocket(s.qmp()), "not there yet");
        try (ServerSocketChannel c = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            // the volume path is too long for AF_UNIX (that is why the link exists): bind through the link
            c.bind(UnixDomainSocketAddress.of(s.qmp()));
            assertTrue(Files.exists(s.volumeDir().resolve("qmp.sock")));
            assertTrue(PodSockets.isSocket(s.qmp()));
        }
        s.removeLink();
        assertFalse(Files.exists(s.link(), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void aSymlinkOrAFilePlantedByThePodIsRefused(@TempDir Path tmp) throws IOException {
        PodSockets s = PodSockets.of(config(tmp.resolve("run"), tmp.resolve("kubelet")), UID);
        Files.createDirectories(s.volumeDir());
        s.createLink();
        Files.createSymbolicLink(s.volumeDir().resolve("qmp.sock"), Path.of("/run/containerd/containerd.sock"));
        IOException e = assertThrows(IOException.class, () -> PodSockets.isSocket(s.qmp()));
        assertTrue(e.getMessage().contains("a symlink"), e.getMessage());
        Files.writeString(s.volumeDir().resolve("qga.sock"), "x");
        e = assertThrows(IOException.class, () -> PodSockets.isSocket(s.qga()));
        assertTrue(e.getMessage().contains("a regular file"), e.getMessage());
    }

    @Test
    void badSettingsAreClearErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> config(Path.of("/tmp/" + "x".repeat(70)), Path.of("/var/lib/kubelet")));
        assertTrue(e.getMessage().contains("agentvisor.driver.run-dir") && e.getMessage().contains("AF_UNIX"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new DriverConfig("Node_A", Path.of("/run/a"),
                Path.of("/var/lib/kubelet"), Path.of("/proc"), "q", Path.of("/dev/kvm"), Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("node-name"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PodSockets.of(config(Path.of("/run/a"),
                Path.of("/k")), "../../etc"));
        assertTrue(e.getMessage().contains("pod uid"), e.getMessage());
    }
}
