package io.agentvisor.driver.qemu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.testsupport.Repo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The KVM probe with real QEMU. The payload is proven under TCG (it must exit as asked), a payload that never
 * reaches the exit port must come out as "no", and KVM must come out as this machine really is. These machines
 * have a /dev/kvm on which QEMU with the VM pods' CPU options cannot run guest code (environment.md); on a machine
 * where it works, run with AGENTVISOR_TEST_KVM=usable (or =absent where there is no /dev/kvm).
 */
class KvmProbeIT {
    static final Duration TIMEOUT = Duration.ofSeconds(20);
    static Path work;

    @BeforeAll
    static void dir() {
        work = Repo.shortTempDir("avkp");
    }

    @AfterAll
    static void clean() throws Exception {
        try (var left = Files.list(work)) {
            assertTrue(left.findAny().isEmpty(), "the probe leaves no file behind");
        } finally {
            Repo.deleteRecursively(work);
        }
    }

    @Test
    void theBootSectorRunsUnderTcgAndExitsWithTheStatusItAskedFor() {
        Accelerator.Verdict v = Accelerator.runBootSector("qemu-system-x86_64", Accelerator.TCG_MACHINE_OPTIONS, work,
                TIMEOUT, true);
        assertTrue(v.works(), v.reason());
    }

    @Test
    void guestCodeThatNeverReachesTheExitIsANo() {
        Accelerator.Verdict v = Accelerator.runBootSector("qemu-system-x86_64", Accelerator.TCG_MACHINE_OPTIONS, work,
                Duration.ofSeconds(5), false);
        assertFalse(v.works(), v.reason());
        assertTrue(v.reason().contains("did not reach its exit within 5 s"), v.reason());
    }

    @Test
    void kvmIsJudgedAsThisMachineReallyIs() {
        String expect = System.getenv().getOrDefault("AGENTVISOR_TEST_KVM", "unusable");
        Accelerator.Verdict v = Accelerator.probeKvm("qemu-system-x86_64", Path.of("/dev/kvm"), work, TIMEOUT);
        switch (expect) {
            case "usable" -> assertTrue(v.works(), v.reason());
            case "absent" -> {
                assertFalse(v.works());
                assertTrue(v.reason().contains("does not exist"), v.reason());
            }
            default -> {
                assertTrue(Files.exists(Path.of("/dev/kvm")), "this machine was expected to have a /dev/kvm");
                assertFalse(v.works(), "KVM here cannot run guest code, yet the probe said: " + v.reason());
                assertTrue(v.reason().startsWith("QEMU (-machine q35 -accel kvm -cpu host) exited with status")
                        || v.reason().contains("did not reach its exit"), v.reason());
            }
        }
        System.out.println("KVM probe: " + v);
    }

    @Test
    void aMissingDeviceOrQemuIsANoWithTheReason() {
        Accelerator.Verdict v = Accelerator.probeKvm("qemu-system-x86_64", work.resolve("no-kvm"), work, TIMEOUT);
        assertFalse(v.works());
        assertTrue(v.reason().contains("does not exist"), v.reason());
        v = Accelerator.runBootSector(work.resolve("no-qemu").toString(), Accelerator.TCG_MACHINE_OPTIONS, work,
                TIMEOUT, true);
        assertFalse(v.works());
        assertTrue(v.reason().contains("could not be started"), v.reason());
    }
}
