package io.agentvisor.e2e;

import static io.agentvisor.testsupport.ChartOnNode.condition;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentvisor.testsupport.ChartOnNode;
import io.agentvisor.testsupport.Cmd;
import io.agentvisor.testsupport.Repo;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Storage follows Kubernetes' access rules: a VM's writable disk is a disk image in a PersistentVolumeClaim of the
 * VM's own namespace (here bound to a local PersistentVolume on the node). The guest writes through QEMU into that
 * file, and a VM of another namespace naming the same claim gets nothing.
 */
@ExtendWith(Summary.class)
class PersistentDiskIT {
    static final String NS = "e2e-storage";
    static final String OTHER_NS = "e2e-storage-other";
    static ChartOnNode sys;
    static Path volume;

    @BeforeAll
    static void setUp() throws IOException {
        sys = ChartOnNode.install();
        volume = Repo.shortTempDir("avpv");
        Path image = volume.resolve("disk.img");
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(16L << 20);
        }
        // the VM pod's user (65534) opens it read-write through the volume (a hostPath PV has no fsGroup)
        Cmd.run(List.of("chown", "-R", "65534:65534", volume.toString()), Map.of(), 60).requireSuccess("chown");
        Cmd.run(List.of("chmod", "0755", volume.toString()), Map.of(), 60).requireSuccess("chmod");
        sys.kubectl("create", "namespace", NS);
        sys.kubectl("create", "namespace", OTHER_NS);
        sys.apply("""
                apiVersion: v1
                kind: PersistentVolume
                metadata: {name: e2e-data-pv}
                spec:
                  capacity: {storage: 16Mi}
                  accessModes: [ReadWriteOnce]
                  persistentVolumeReclaimPolicy: Retain
                  storageClassName: e2e-local
                  hostPath: {path: %s, type: Directory}
                ---
                apiVersion: v1
                kind: PersistentVolumeClaim
                metadata: {name: e2e-data, namespace: %s}
                spec:
                  accessModes: [ReadWriteOnce]
                  storageClassName: e2e-local
                  volumeName: e2e-data-pv
                  resources: {requests: {storage: 16Mi}}
                """.formatted(volume, NS));
    }

    @AfterAll
    static void tearDown() {
        if (sys != null) {
            sys.kubectlResult("delete", "namespace", NS, OTHER_NS, "--wait=true", "--timeout=150s");
            sys.kubectlResult("delete", "persistentvolume", "e2e-data-pv", "--wait=true", "--timeout=60s");
        }
        Repo.deleteRecursively(volume);
    }

    static String vm(String namespace, String name) {
        return """
                apiVersion: agentvisor.io/v1alpha1
                kind: VirtualMachine
                metadata: {name: %s, namespace: %s}
                spec:
                  cpu: {cores: 1}
                  memory: 256Mi
                  boot:
                    kernel: %s/tiny-guest/vmlinuz
                    initrd: %s/tiny-guest/initramfs.cpio.gz
                    cmdline: console=ttyS0 quiet agentvisor.mark=vda
                  disks:
                    - name: data
                      persistentVolumeClaim: {claimName: e2e-data}
                  guestAgent: {enabled: true}
                """.formatted(name, namespace, sys.images, sys.images);
    }

    @Test
    void aVmWritesToItsClaimAndAnotherNamespaceCannotUseIt() throws IOException {
        sys.apply(vm(NS, "db"));
        await("db Running with a responsive agent").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    JsonNode st = sys.get("virtualmachine", "db", "-n", NS).path("status");
                    return "Running".equals(st.path("phase").asText())
                            && "Responsive".equals(st.path("agent").path("state").asText());
                });
        JsonNode pod = sys.get("pod", "vm-db", "-n", NS);
        boolean claimed = false;
        for (JsonNode v : pod.path("spec").path("volumes")) {
            claimed |= "e2e-data".equals(v.path("persistentVolumeClaim").path("claimName").asText());
        }
        assertTrue(claimed, "the VM's pod mounts its claim: " + pod.path("spec").path("volumes"));
        Summary.check("VM db runs with disk 'data' from PersistentVolumeClaim e2e-data (a local PersistentVolume)");

        Path image = volume.resolve("disk.img");
        AtomicReference<String> head = new AtomicReference<>("");
        await("the guest's mark in the claim's disk image").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    byte[] b = new byte[80];
                    try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "r")) {
                        f.readFully(b);
                    }
                    head.set(new String(b, StandardCharsets.US_ASCII));
                    return head.get().startsWith("agentvisor-mark agentvisor-guest");
                });
        Summary.check("the guest wrote through QEMU into the claim's image on the node: " + head.get().strip());

        sys.apply(vm(OTHER_NS, "thief"));
        AtomicReference<String> message = new AtomicReference<>("");
        await("thief: its namespace has no such claim").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    JsonNode c = condition(sys.get("virtualmachine", "thief", "-n", OTHER_NS), "Scheduled");
                    message.set(c.path("message").asText());
                    return "False".equals(c.path("status").asText()) && message.get().contains("e2e-data");
                });
        JsonNode thief = sys.get("virtualmachine", "thief", "-n", OTHER_NS);
        assertEquals("Pending", thief.path("status").path("phase").asText());
        assertNull(thief.path("status").path("qemu").get("pid"), "no QEMU for it");
        Summary.check("a VM in another namespace naming the same claim stays Pending: " + message.get());
    }
}
