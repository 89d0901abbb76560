package io.agentvisor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.agentvisor.testsupport.AgentProbe;
import io.agentvisor.testsupport.Repo;
import io.agentvisor.testsupport.Signals;
import io.agentvisor.testsupport.TinyGuest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The launcher jar as the VM pod runs it ({@code java -jar agentvisor-vm-launcher.jar -- qemu-system-x86_64 ...}),
 * with the real tiny guest, and the test in the kubelet's place: SIGTERM, then SIGKILL when the grace runs out.
 */
class LauncherIT {
    private static final Duration BOOT = Duration.ofSeconds(120);
    private Path dir;
    private Process launcher;

    @BeforeEach
    void dir() {
        dir = Repo.shortTempDir("avl");
    }

    @AfterEach
    void cleanUp() {
        if (launcher != null && launcher.isAlive()) {
            launcher.descendants().forEach(ProcessHandle::destroyForcibly);
            launcher.destroyForcibly();
        }
        // a QEMU the launcher left behind (it never should) would outlive the test: find it by its own log line
        Matcher m = Pattern.compile("QEMU started \\(pid (\\d+)\\)").matcher(log());
        if (m.find()) {
            ProcessHandle.of(Long.parseLong(m.group(1))).filter(ProcessHandle::isAlive)
                    .ifPresent(ProcessHandle::destroyForcibly);
        }
        Repo.deleteRecursively(dir);
    }

    /** QEMU's argv as the operator builds it, with the sockets in this test's directory. */
    private List<String> qemu(boolean withGuest) {
        List<String> a = new ArrayList<>(List.of("qemu-system-x86_64", "-machine", "q35", "-accel", "tcg,tb-size=32",
                "-m", "256M", "-nodefaults", "-no-user-config", "-display", "none",
                "-chardev", "stdio,id=console0,signal=off", "-serial", "chardev:console0",
                "-chardev", "socket,id=qmp1,path=" + dir.resolve("launcher-qmp.sock") + ",server=on,wait=off",
                "-mon", "chardev=qmp1,mode=control",
                "-chardev", "socket,id=qga0,path=" + dir.resolve("qga.sock") + ",server=on,wait=off",
                "-device", "virtio-serial-pci,id=vser0",
                "-device", "virtserialport,bus=vser0.0,chardev=qga0,name=org.qemu.guest_agent.0", "-nic", "none"));
        if (withGuest) {
            a.addAll(List.of("-kernel", TinyGuest.kernel().toString(), "-initrd", TinyGuest.initrd().toString(),
                    "-append", "console=ttyS0 quiet"));
        }
        return a;
    }

    private Process start(List<String> qemu, long graceSeconds, long shutdownWaitSeconds) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-Xmx24m", "-jar", Path.of("target", "agentvisor-vm-launcher.jar").toAbsolutePath()
                        .toString(), "--"));
        cmd.addAll(qemu);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("container.log").toFile());
        pb.environment().putAll(Map.of(Settings.GRACE, Long.toString(graceSeconds), Settings.SHUTDOWN_WAIT,
                Long.toString(shutdownWaitSeconds), Settings.QMP, dir.resolve("launcher-qmp.sock").toString()));
        launcher = pb.start();
        return launcher;
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("container.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private void awaitAgent() {
        long deadline = System.nanoTime() + BOOT.toNanos();
        while (System.nanoTime() < deadline) {
            assertTrue(launcher.isAlive(), "the launcher exited during boot: " + log());
            if (Files.exists(dir.resolve("qga.sock")) && AgentProbe.syncs(dir.resolve("qga.sock"),
                    Duration.ofSeconds(5))) {
                return;
            }
        }
        throw new AssertionError("the guest's agent did not answer: " + log());
    }

    /** The kubelet's side of a pod deletion: SIGTERM, then SIGKILL once the grace is over. */
    private int terminateLikeTheKubelet(long graceSeconds) throws InterruptedException {
        Signals.send("TERM", launcher.pid());
        if (!launcher.waitFor(graceSeconds, TimeUnit.SECONDS)) {
            Signals.kill9(launcher.pid());
            launcher.waitFor();
        }
        return launcher.exitValue();
    }

    private long qemuPid() {
        Matcher m = Pattern.compile("QEMU started \\(pid (\\d+)\\)").matcher(log());
        assertTrue(m.find(), log());
        return Long.parseLong(m.group(1));
    }

    @Test
    void sigtermPowersTheGuestOffThroughAcpiAndTheLauncherExitsZero() throws Exception {
        start(qemu(true), 60, 1);
        awaitAgent();
        Thread.sleep(3000); // the guest's acpid starts a moment after its agent
        int status = terminateLikeTheKubelet(60);
        String log = log();
        assertEquals(0, status, log);
        assertTrue(log.contains("pressing the ACPI power button"), log);
        assertFalse(log.contains("telling QEMU to quit"), "the guest powered off on its own: " + log);
        assertTrue(log.contains("QEMU exited with status 0"), log);
        assertTrue(log.contains("agentvisor-guest: starting qemu-ga"), "the serial console is the container log");
    }

    @Test
    void qemuKilledMakesTheLauncherExitWithItsStatus() throws Exception {
        start(qemu(true), 60, 15);
        awaitAgent();
        Signals.kill9(qemuPid());
        assertTrue(launcher.waitFor(30, TimeUnit.SECONDS), log());
        assertEquals(128 + 9, launcher.exitValue(), log());
    }

    @Test
    void aGuestThatIgnoresAcpiIsQuitBeforeTheGraceRunsOut() throws Exception {
        // no kernel: the firmware finds nothing to boot and never answers the power button
        long grace = 12;
        start(qemu(false), grace, 1);
        long deadline = System.nanoTime() + BOOT.toNanos();
        while (!(Files.exists(dir.resolve("launcher-qmp.sock")) && log().contains("QEMU started"))
                && System.nanoTime() < deadline) {
            assertTrue(launcher.isAlive(), log());
            Thread.sleep(100);
        }
        int status = terminateLikeTheKubelet(grace);
        String log = log();
        assertEquals(0, status, "quit by the launcher, not SIGKILLed at the end of the grace: " + log);
        assertTrue(log.contains("pressing the ACPI power button"), log);
        assertTrue(log.contains("telling QEMU to quit"), log);
    }

    @Test
    void aQcow2ImageNamingADataFileIsRefusedBeforeQemuStarts() throws Exception {
        Path evil = Qcow2HeaderTest.image(dir, "evil.qcow2", 3, 1L << 2);
        List<String> argv = qemu(false);
        argv.addAll(List.of("-blockdev", "{\"driver\":\"qcow2\",\"node-name\":\"d0\",\"read-only\":false,"
                + "\"backing\":null,\"file\":{\"driver\":\"file\",\"node-name\":\"d0f\",\"filename\":\"" + evil
                + "\",\"read-only\":false}}", "-device", "virtio-blk-pci,drive=d0,id=disk-root"));
        start(argv, 30, 5);
        assertTrue(launcher.waitFor(60, TimeUnit.SECONDS), log());
        assertEquals(Main.EXIT_REFUSED, launcher.exitValue(), log());
        assertTrue(log().contains("refusing to start QEMU: " + evil
                + ": the qcow2 image names an external data file, which a VM may not open"), log());
        assertFalse(log().contains("QEMU started"), log());
    }

    @Test
    void aQcow2ImageNamingABackingFileIsRefusedBeforeQemuStarts() throws Exception {
        Path evil = Qcow2HeaderTest.withBackingFile(dir, "backed.qcow2", 3, "/etc/shadow");
        List<String> argv = qemu(false);
        argv.addAll(List.of("-blockdev", "{\"driver\":\"qcow2\",\"node-name\":\"d0\",\"read-only\":true,"
                + "\"backing\":null,\"file\":{\"driver\":\"file\",\"node-name\":\"d0f\",\"filename\":\"" + evil
                + "\",\"read-only\":true}}", "-device", "virtio-blk-pci,drive=d0,id=disk-root"));
        start(argv, 30, 5);
        assertTrue(launcher.waitFor(60, TimeUnit.SECONDS), log());
        assertEquals(Main.EXIT_REFUSED, launcher.exitValue(), log());
        assertTrue(log().contains("refusing to start QEMU: " + evil
                + ": the qcow2 image names a backing file, which a VM may not open"), log());
        assertFalse(log().contains("QEMU started"), log());
    }
}
