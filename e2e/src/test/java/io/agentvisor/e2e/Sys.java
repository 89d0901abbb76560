package io.agentvisor.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Host-side facts the suite checks: QEMU processes by VM uid (from /proc), mounts. */
final class Sys {
    private Sys() {
    }

    /** Pids of qemu-system processes whose command line contains {@code needle} (a VM uid or a run directory). */
    static List<Long> qemuPids(String needle) {
        return pids(argv -> argv[0].contains("qemu-system") && String.join(" ", argv).contains(needle));
    }

    /** The pids (on this machine) of the JVMs running that jar (e.g. the driver's). */
    static List<Long> javaPids(String jarNeedle) {
        return pids(argv -> argv[0].equals("java") && String.join(" ", argv).contains(jarNeedle));
    }

    /** Pids of the processes whose argv (from /proc, the host's pid namespace) matches. */
    static List<Long> pids(java.util.function.Predicate<String[]> argvMatches) {
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
            throw new java.io.UncheckedIOException(e);
        }
        return pids;
    }

    static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    static Optional<Instant> startTime(long pid) {
        return ProcessHandle.of(pid).flatMap(h -> h.info().startInstant());
    }

    /** Runs a command; returns exit code and output. */
    static Result run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, out + " (timed out)");
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            return new Result(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, e.toString());
        }
    }

    record Result(int code, String output) {
    }

    static void forceKill(long pid) {
        ProcessHandle.of(pid).ifPresent(h -> {
            run("kill", "-CONT", Long.toString(pid));
            h.destroyForcibly();
        });
    }
}
