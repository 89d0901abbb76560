package io.agentvisor.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/** Processes on this machine as the host sees them (its pid namespace, from /proc): QEMU and our JVMs in pods. */
public final class HostProcesses {
    private HostProcesses() {
    }

    /** Pids of qemu-system processes whose command line contains {@code needle} (a VM uid or a run directory). */
    public static List<Long> qemuPids(String needle) {
        return pids(argv -> argv[0].contains("qemu-system") && String.join(" ", argv).contains(needle));
    }

    /** The pids of the JVMs running that jar (e.g. the driver's, "/opt/agentvisor/agent-driver/"). */
    public static List<Long> javaPids(String jarNeedle) {
        return pids(argv -> argv[0].equals("java") && String.join(" ", argv).contains(jarNeedle));
    }

    /** Pids of the processes whose argv matches. */
    public static List<Long> pids(Predicate<String[]> argvMatches) {
        List<Long> pids = new ArrayList<>();
        try (var dirs = Files.list(Path.of("/proc"))) {
            for (Path d : dirs.toList()) {
                String n = d.getFileName().toString();
                if (!n.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                String[] argv;
                try {
                    argv = new String(Files.readAllBytes(d.resolve("cmdline")), StandardCharsets.UTF_8).split("\0");
                } catch (IOException e) {
                    continue; // gone in between
                }
                if (argv.length > 0 && !argv[0].isEmpty() && argvMatches.test(argv)) {
                    pids.add(Long.parseLong(n));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pids;
    }

    public static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    public static Optional<Instant> startTime(long pid) {
        return ProcessHandle.of(pid).flatMap(h -> h.info().startInstant());
    }

    /** SIGKILL, after a SIGCONT so that a stopped process does not linger as a zombie-to-be. */
    public static void forceKill(long pid) {
        ProcessHandle.of(pid).ifPresent(h -> {
            Signals.cont(pid);
            h.destroyForcibly();
        });
    }
}
