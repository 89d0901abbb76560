package io.agentvisor.operator.pod;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentvisor.api.v1alpha1.VmPods;
import io.agentvisor.qmp.QmpClient;
import io.agentvisor.testsupport.AgentProbe;
import io.agentvisor.testsupport.Repo;
import io.agentvisor.testsupport.Signals;
import io.agentvisor.testsupport.TinyGuest;
import org.junit.jupiter.api.Test;

/**
 * The command line the operator builds, run by the real qemu-system-x86_64 with the tiny guest: the in-pod paths
 * are mapped to a temporary directory (what the pod's mounts do), and QEMU must accept every option, boot the guest
 * to its agent, and show the disks as asked (ids, read-only flags).
 */
class QemuCommandLineIT {
    private static final String UID = "0b7c3d2e-1111-4a2b-8c3d-123456789abc";

    @Test
    void qemuAcceptsTheCommandLineAndBootsTheTinyGuest() throws Exception {
        Path dir = Repo.shortTempDir("avq");
        Process qemu = null;
        try {
            Path data = Files.write(dir.resolve("data.img"), new byte[1 << 20]);
            Path tools = Files.write(dir.resolve("tools.img"), new byte[1 << 20]);
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            VmSpec spec = new VmSpec("default", "tiny", UID, 256, 1, "/node/vmlinuz", "/node/initrd",
                    "console=ttyS0 quiet",
                    List.of(new VmSpec.DiskSpec("0data", new VmSpec.Claim("data", "disk.img"), "raw", false),
                            new VmSpec.DiskSpec("tools", new VmSpec.HostFile("/node/tools.img"), "raw", true)),
                    true, List.of(new VmSpec.PortSpec("http", port, "TCP")), true);
            // what the pod's mounts do: in-pod paths -> files here
            Map<String, String> mounts = new TreeMap<>(Map.of(
                    VmPods.RUN_DIR + "/", dir + "/",
                    QemuCommandLine.KERNEL_PATH, TinyGuest.kernel().toString(),
                    QemuCommandLine.INITRD_PATH, TinyGuest.initrd().toString(),
                    "/vm/disks/0data/disk.img", data.toString(),
                    "/vm/images/tools", tools.toString()));
            List<String> argv = new ArrayList<>();
            for (String a : QemuCommandLine.build(spec, 32)) {
                for (Map.Entry<String, String> m : mounts.entrySet()) {
                    a = a.replace(m.getKey(), m.getValue());
                }
                argv.add(a);
            }
            // the forwarded port would listen on every address of the pod; here only on loopback
            argv.replaceAll(a -> a.replace("hostfwd=tcp::" + port, "hostfwd=tcp:127.0.0.1:" + port));
            qemu = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(dir.resolve("console").toFile())
                    .start();
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            boolean synced = false;
            while (!synced && System.nanoTime() < deadline) {
                assertTrue(qemu.isAlive(), "QEMU refused the command line: " + Files.readString(dir.resolve("console")));
                synced = Files.exists(dir.resolve("qga.sock"))
                        && AgentProbe.syncs(dir.resolve("qga.sock"), Duration.ofSeconds(5));
            }
            assertTrue(synced, "the guest's agent never answered: " + Files.readString(dir.resolve("console")));
            assertTrue(Files.readString(dir.resolve("console")).contains("agentvisor-guest: starting qemu-ga"),
                    "the serial console is QEMU's stdout");
            try (QmpClient qmp = QmpClient.connect(dir.resolve("qmp.sock"), Duration.ofSeconds(5), "qmp-it", e -> { },
                    () -> { })) {
                Map<String, Boolean> readOnly = new TreeMap<>();
                for (JsonNode b : qmp.execute("query-block", null, Duration.ofSeconds(5))) {
                    readOnly.put(b.path("qdev").asText(), b.path("inserted").path("ro").asBoolean());
                }
                assertEquals(Map.of("/machine/peripheral/disk-0data/virtio-backend", false,
                        "/machine/peripheral/disk-tools/virtio-backend", true), readOnly);
                assertEquals("running", qmp.queryStatus(Duration.ofSeconds(5)));
            }
            // the launcher's own monitor answers too
            try (QmpClient qmp = QmpClient.connect(dir.resolve("launcher-qmp.sock"), Duration.ofSeconds(5), "qmp-it2",
                    e -> { }, () -> { })) {
                assertEquals("running", qmp.queryStatus(Duration.ofSeconds(5)));
            }
        } finally {
            if (qemu != null) {
                Signals.terminate(qemu, Duration.ofSeconds(5));
            }
            Repo.deleteRecursively(dir);
        }
    }
}
