package io.agentvisor.driver.qemu;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * KVM or TCG, decided once per driver. An openable /dev/kvm is not enough (on some hosts it exists but cannot run
 * a guest), so the probe starts a throw-away QEMU with KVM, lets the vCPU run for a moment under QMP and accepts
 * KVM only when QEMU says it is enabled and the VM is still running afterwards.
 */
public final class Accelerator {
    private static final Logger LOG = Logger.getLogger(Accelerator.class);

    public static final String KVM = "kvm";
    public static final String TCG = "tcg";

    private Accelerator() {
    }

    /** @param setting {@code auto}, {@code kvm} or {@code tcg} */
    public static String resolve(String setting, String qemuBinary) {
        return switch (setting) {
            case KVM, TCG -> setting;
            case "auto" -> kvmWorks(qemuBinary) ? KVM : TCG;
            default -> throw new IllegalArgumentException("accelerator must be auto, kvm or tcg, not " + setting);
        };
    }

    static boolean kvmWorks(String qemuBinary) {
        Path dev = Path.of("/dev/kvm");
        if (!Files.isReadable(dev) || !Files.isWritable(dev)) {
            LOG.infof("accelerator: tcg (%s is not usable)", dev);
            return false;
        }
        List<String> argv = List.of(qemuBinary, "-machine", "q35", "-accel", KVM, "-nodefaults", "-no-user-config",
                "-display", "none", "-m", "16", "-S", "-qmp", "stdio");
        Process p = null;
        try {
            p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            OutputStream in = p.getOutputStream();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            List<String> replies = new ArrayList<>();
            Process proc = p;
            Thread reader = new Thread(() -> {
                try {
                    for (String line; (line = out.readLine()) != null; ) {
                        synchronized (replies) {
                            replies.add(line);
                        }
                    }
                } catch (IOException ignored) {
                    // the probe process went away
                }
            }, "kvm-probe");
            reader.setDaemon(true);
            reader.start();
            in.write(("{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"query-kvm\"}\n{\"execute\":\"cont\"}\n")
                    .getBytes(StandardCharsets.UTF_8));
            in.flush();
            Thread.sleep(1500);
            in.write("{\"execute\":\"query-status\"}\n{\"execute\":\"quit\"}\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            proc.waitFor(5, TimeUnit.SECONDS);
            reader.join(1000);
            String all;
            synchronized (replies) {
                all = String.join("\n", replies).replace(" ", "");
            }
            boolean ok = all.contains("\"enabled\":true") && all.contains("\"status\":\"running\"");
            LOG.infof("accelerator: %s (KVM probe %s)", ok ? KVM : TCG, ok ? "ran a vCPU" : "failed");
            return ok;
        } catch (IOException e) {
            LOG.infof("accelerator: tcg (KVM probe could not start: %s)", e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            if (p != null) {
                p.destroyForcibly();
            }
        }
    }
}
