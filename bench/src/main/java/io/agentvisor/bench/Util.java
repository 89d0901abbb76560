package io.agentvisor.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Small helpers shared by the system benchmarks: percentiles, /proc readings, child processes. */
final class Util {
    private Util() {
    }

    /** Nearest-rank percentile (p in 0..100) of the values; NaN when empty. */
    static double pct(Collection<Double> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> s = new ArrayList<>(values);
        s.sort(Double::compare);
        int rank = (int) Math.ceil(p / 100.0 * s.size());
        return s.get(Math.max(0, Math.min(s.size() - 1, rank - 1)));
    }

    static String s2(double seconds) {
        return Double.isNaN(seconds) ? "—" : String.format(Locale.ROOT, "%.2f s", seconds);
    }

    static String f(String fmt, Object... args) {
        return String.format(Locale.ROOT, fmt, args);
    }

    static double since(long t0Nanos) {
        return (System.nanoTime() - t0Nanos) / 1e9;
    }

    /** A line of /proc/PID/status ("VmRSS", "Threads"), as a number (kB for sizes); -1 if unreadable. */
    static long procStatus(long pid, String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(key + ":")) {
                    return Long.parseLong(line.substring(key.length() + 1).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return -1;
    }

    /** A line of /proc/meminfo ("MemTotal") in KiB; -1 if unreadable. */
    static long procMeminfoKiB(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith(key + ":")) {
                    return Long.parseLong(line.substring(key.length() + 1).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    static long rssMiB(long pid) {
        long kb = procStatus(pid, "VmRSS");
        return kb < 0 ? -1 : kb / 1024;
    }

    /** utime + stime of a process in seconds (USER_HZ = 100 on Linux); NaN if unreadable. */
    static double cpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    record Run(int exit, String out, double seconds) {
        boolean ok() {
            return exit == 0;
        }

        String oneLine() {
            String t = out.trim().replaceAll("\\s+", " ");
            return t.length() > 160 ? t.substring(0, 160) + "…" : t;
        }
    }

    /** Runs a command, waits at most {@code timeout}, returns exit code, combined output and wall time. */
    static Run run(Duration timeout, List<String> cmd) {
        long t0 = System.nanoTime();
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[][] out = new byte[1][];
            Thread reader = new Thread(() -> {
                try {
                    out[0] = p.getInputStream().readAllBytes();
                } catch (IOException e) {
                    out[0] = new byte[0];
                }
            });
            reader.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                reader.join(2000);
                return new Run(-1, "timed out after " + timeout.toSeconds() + " s", since(t0));
            }
            double took = since(t0);
            reader.join(5000);
            return new Run(p.exitValue(), out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8), took);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Run run(Duration timeout, String... cmd) {
        return run(timeout, List.of(cmd));
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void log(String fmt, Object... args) {
        System.err.println("[system-bench " + java.time.LocalTime.now().withNano(0) + "] " + f(fmt, args));
    }

    static String esc(String s) {
        return s == null ? "" : s.replace("|", "\\|").replace("\n", " ");
    }

    /** Polls {@code ok} every 250 ms (light enough not to disturb what a benchmark measures) until it holds. */
    static void until(String what, java.time.Duration max, java.util.function.BooleanSupplier ok) {
        long t0 = System.nanoTime();
        while (!ok.getAsBoolean()) {
            if (since(t0) > max.toSeconds()) {
                throw new IllegalStateException(what + ": not within " + max.toSeconds() + " s");
            }
            sleep(250);
        }
    }

    /** {@code --name value} pairs of a harness's command line. */
    static Map<String, String> options(String[] args) {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        return a;
    }
}
