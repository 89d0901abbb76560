package io.agentvisor.driver.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.driver.kvm.v1beta1.AllocateRequest;
import io.agentvisor.driver.kvm.v1beta1.AllocateResponse;
import io.agentvisor.driver.kvm.v1beta1.ContainerAllocateRequest;
import io.agentvisor.driver.kvm.v1beta1.ContainerAllocateResponse;
import io.agentvisor.driver.kvm.v1beta1.Device;
import io.agentvisor.driver.kvm.v1beta1.ListAndWatchResponse;
import io.agentvisor.testsupport.Repo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the plugin offers and hands out, and when the node offers it at all (the probe's verdict). */
class KvmDevicePluginTest {

    @Test
    void offersTheConfiguredNumberOfInterchangeableDevicesWithTheProbesHealth() {
        KvmDevicePlugin p = new KvmDevicePlugin(3, "/dev/kvm", true);
        ListAndWatchResponse list = p.deviceList();
        assertEquals(List.of("kvm-0", "kvm-1", "kvm-2"), list.getDevicesList().stream().map(Device::getID).toList());
        assertTrue(list.getDevicesList().stream().allMatch(d -> d.getHealth().equals("Healthy")));
        p.setHealthy(false);
        assertTrue(p.deviceList().getDevicesList().stream().allMatch(d -> d.getHealth().equals("Unhealthy")));
        assertEquals(1000, new KvmDevicePlugin(1000, "/dev/kvm", true).deviceList().getDevicesCount());
    }

    @Test
    void allocateGivesEachContainerTheKvmDeviceReadWrite() {
        KvmDevicePlugin p = new KvmDevicePlugin(1000, "/dev/kvm", true);
        AllocateResponse r = p.allocate(AllocateRequest.newBuilder()
                .addContainerRequests(ContainerAllocateRequest.newBuilder().addDevicesIDs("kvm-7"))
                .addContainerRequests(ContainerAllocateRequest.newBuilder().addDevicesIDs("kvm-999")).build());
        assertEquals(2, r.getContainerResponsesCount());
        for (ContainerAllocateResponse c : r.getContainerResponsesList()) {
            assertEquals(1, c.getDevicesCount());
            assertEquals("/dev/kvm", c.getDevices(0).getHostPath());
            assertEquals("/dev/kvm", c.getDevices(0).getContainerPath());
            assertEquals("rw", c.getDevices(0).getPermissions());
            assertEquals(0, c.getMountsCount());
            assertEquals(0, c.getEnvsCount());
        }
    }

    @Test
    void allocateRefusesDevicesItNeverOfferedAndAnyWhileKvmIsUnusable() {
        KvmDevicePlugin p = new KvmDevicePlugin(10, "/dev/kvm", true);
        for (String id : List.of("kvm-10", "kvm-01", "kvm-", "gpu-1", "kvm-1x", "kvm-99999999999")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.allocate(request(id)), id);
            assertTrue(e.getMessage().contains("\"" + id + "\" is not one of kvm-0..kvm-9"), e.getMessage());
        }
        p.setHealthy(false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.allocate(request("kvm-1")));
        assertTrue(e.getMessage().contains("not usable"), e.getMessage());
    }

    @Test
    void badSettingsAreRefusedNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new KvmDevicePlugin(0, "/dev/kvm", true));
        assertTrue(e.getMessage().startsWith("agentvisor.driver.kvm.device-count: 0 is not between 1 and 10000"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new KvmResource(Path.of("/x"), "dev/kvm", 5, false));
        assertTrue(e.getMessage().startsWith("agentvisor.driver.kvm-device: \"dev/kvm\" is not an absolute path"),
                e.getMessage());
    }

    @Test
    void theNodeOffersKvmOnlyOnceTheProbePassedAndMarksItUnhealthyWhenItStopsPassing() throws Exception {
        Path dir = Repo.shortTempDir("avdp");
        try (KvmResource r = new KvmResource(dir, "/dev/kvm", 1000, false)) {
            r.probed(false, "failed to set MSR 0x10a");
            assertNull(r.server(), "a failed probe offers nothing");
            assertFalse(Files.exists(dir.resolve(KvmResource.ENDPOINT)));

            r.probed(true, "the boot sector ran");
            assertNotNull(r.server());
            assertTrue(r.server().plugin().healthy());

            r.probed(false, "failed to set MSR 0x10a");
            assertNotNull(r.server(), "still served, so that the kubelet learns the devices are Unhealthy");
            assertFalse(r.server().plugin().healthy());
            r.probed(true, "the boot sector ran");
            assertTrue(r.server().plugin().healthy());
        } finally {
            Repo.deleteRecursively(dir);
        }
    }

    @Test
    void theTestOnlySettingOffersKvmThoughTheProbeFailed() throws Exception {
        Path dir = Repo.shortTempDir("avdp");
        try (KvmResource r = new KvmResource(dir, "/dev/kvm", 2, true)) {
            r.probed(false, "failed to set MSR 0x10a");
            assertNotNull(r.server());
            assertTrue(r.server().plugin().healthy());
        } finally {
            Repo.deleteRecursively(dir);
        }
    }

    @Test
    void aDirectoryTooLongForASocketOffersNothingAndSaysSo() {
        Path dir = Path.of("/tmp/" + "d".repeat(110));
        try (KvmResource r = new KvmResource(dir, "/dev/kvm", 2, false)) {
            r.probed(true, "the boot sector ran");
            assertNull(r.server());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DevicePluginServer(dir,
                "agentvisor-kvm.sock", "devices.agentvisor.io/kvm", new KvmDevicePlugin(1, "/dev/kvm", true),
                java.time.Duration.ofSeconds(1)));
        assertTrue(e.getMessage().startsWith("agentvisor.driver.kvm.device-plugin-dir: "), e.getMessage());
        assertFalse(Files.exists(dir));
    }

    private static AllocateRequest request(String id) {
        return AllocateRequest.newBuilder().addContainerRequests(ContainerAllocateRequest.newBuilder().addDevicesIDs(id))
                .build();
    }
}
