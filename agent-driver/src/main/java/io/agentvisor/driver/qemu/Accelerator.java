package io.agentvisor.driver.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Whether KVM really runs guest code on this node, found out once per driver start by running guest code.
 *
 * <p>An openable /dev/kvm, or QEMU starting with {@code -accel kvm}, proves nothing: on some hosts /dev/kvm
 * exists and a vCPU can be created, but QEMU with the CPU model VM pods use aborts ("failed to set MSR"), or
 * starts and never executes a guest instruction. So the probe boots a 512-byte boot sector (generated here) with
 * the machine and CPU options a VM pod would get under KVM; its only instruction that matters writes a random
 * value V to QEMU's {@code isa-debug-exit} port, which makes QEMU exit with status {@code (V << 1) | 1}. Only that
 * exit status, within the timeout, means KVM works; anything else (an abort, another status, a guest that never
 * gets there) is a no, with the reason.
 */
public final class Accelerator {
    private static final Logger LOG = Logger.getLogger(Accelerator.class);

    public static final String KVM = "kvm";
    public static final String TCG = "tcg";
    /** The I/O port of the probe's isa-debug-exit device. */
    static final int EXIT_PORT = 0xf4;
    /** The probe disk's size: SeaBIOS ignores disks much smaller than this ("could not read the boot disk"). */
    static final long DISK_BYTES = 1L << 20;

    /**
     * The machine and CPU options a VM pod's QEMU runs with under KVM; the probe must use exactly these, or its
     * answer is about some other configuration.
     */
    public static final List<String> KVM_MACHINE_OPTIONS = io.agentvisor.api.v1alpha1.VmPods.KVM_QEMU_OPTIONS;
    /** The same machine under TCG (the probe's control run, and what VM pods use where KVM is not offered). */
    public static final List<String> TCG_MACHINE_OPTIONS = List.of("-machine", "q35", "-accel", TCG);

    /** The probe's verdict and why, in words a user can act on. */
    public record Verdict(boolean works, String reason) {
    }

    private Accelerator() {
    }

    /** Probes KVM with the VM pods' options: /dev/kvm must be usable and the boot sector must exit as asked. */
    public static Verdict probeKvm(String qemuBinary, Path kvmDevice, Path workDir, Duration timeout) {
        if (!Files.exists(kvmDevice)) {
            return new Verdict(false, kvmDevice + " does not exist on this node");
        }
        if (!Files.isReadable(kvmDevice) || !Files.isWritable(kvmDevice)) {
            return new Verdict(false, kvmDevice + " exists but is not readable and writable by the driver");
        }
        Verdict v = runBootSector(qemuBinary, KVM_MACHINE_OPTIONS, workDir, timeout, true);
        LOG.infof("KVM probe: %s (%s)", v.works() ? "KVM runs guest code" : "KVM is not usable", v.reason());
        return v;
    }

    /**
     * Boots a generated boot sector under {@code machineOptions}; works when QEMU exits with the status the guest
     * code asked for. With {@code reachExit} false the payload never touches the exit port (a control that must
     * come out as "no").
     */
    public static Verdict runBootSector(String qemuBinary, List<String> machineOptions, Path workDir,
            Duration timeout, boolean reachExit) {
        int value = 1 + new SecureRandom().nextInt(0x7e);
        int expected = (value << 1) | 1;
        Path image = null;
        Process p = null;
        String what = String.join(" ", machineOptions);
        try {
            Files.createDirectories(workDir);
            image = Files.createTempFile(workDir, "kvm-probe", ".img");
            Files.write(image, bootSector(value, reachExit));
            // SeaBIOS does not register a disk this small: make it a 1 MiB disk (sparse) with the sector first
            try (var f = new java.io.RandomAccessFile(image.toFile(), "rw")) {
                f.setLength(DISK_BYTES);
            }
            List<String> argv = new ArrayList<>(List.of(qemuBinary));
            argv.addAll(machineOptions);
            argv.addAll(List.of("-m", "16", "-smp", "1", "-nodefaults", "-no-user-config", "-display", "none",
                    "-serial", "none", "-monitor", "none",
                    "-device", "isa-debug-exit,iobase=0x" + Integer.toHexString(EXIT_PORT) + ",iosize=0x04",
                    "-drive", "file=" + image.toString().replace(",", ",,") + ",format=raw,if=ide,index=0,media=disk",
                    "-boot", "c"));
            Path errors = workDir.resolve(image.getFileName() + ".err");
            p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(errors.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            boolean exited = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            String output = lastLines(errors);
            Files.deleteIfExists(errors);
            if (!exited) {
                return new Verdict(false, "the probe's guest code (" + what + ") did not reach its exit within "
                        + timeout.toSeconds() + " s: the vCPU does not run guest code");
            }
            int status = p.exitValue();
            if (status == expected) {
                return new Verdict(true, "a boot sector ran under " + what + " and exited with status " + status
                        + " as its code asked");
            }
            return new Verdict(false, "QEMU (" + what + ") exited with status " + status + " (" + describe(status)
                    + ") instead of the guest's " + expected + (output.isEmpty() ? "" : ": " + output));
        } catch (IOException e) {
            return new Verdict(false, "QEMU could not be started for the probe (" + qemuBinary + "): " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Verdict(false, "the probe was interrupted");
        } finally {
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
                try {
                    p.waitFor(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (image != null) {
                try {
                    Files.deleteIfExists(image);
                    Files.deleteIfExists(workDir.resolve(image.getFileName() + ".err"));
                } catch (IOException ignored) {
                    // a left-over temp file in the driver's own run directory
                }
            }
        }
    }

    private static String describe(int status) {
        return status > 128 ? "killed by signal " + (status - 128) : "its own exit status";
    }

    /**
     * A 512-byte x86 boot sector (real mode, loaded at 0:7c00 by the BIOS): {@code mov al, value; out EXIT_PORT,
     * al; hlt; jmp hlt}, the rest zero, and the 0x55 0xAA signature. Without {@code reachExit} it only halts.
     */
    static byte[] bootSector(int value, boolean reachExit) {
        if (value < 1 || value > 0x7f) {
            throw new IllegalArgumentException("exit value must be 1..127, not " + value);
        }
        byte[] s = new byte[512];
        int i = 0;
        if (reachExit) {
            s[i++] = (byte) 0xB0; // mov al, imm8
            s[i++] = (byte) value;
            s[i++] = (byte) 0xE6; // out imm8, al
            s[i++] = (byte) EXIT_PORT;
        }
        s[i++] = (byte) 0xF4; // hlt
        s[i++] = (byte) 0xEB; // jmp short back to the hlt
        s[i] = (byte) 0xFD;
        s[510] = 0x55;
        s[511] = (byte) 0xAA;
        return s;
    }

    static String lastLines(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
            String s = String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size())).trim();
            return s.length() > 400 ? s.substring(s.length() - 400) : s;
        } catch (IOException e) {
            return "";
        }
    }
}
