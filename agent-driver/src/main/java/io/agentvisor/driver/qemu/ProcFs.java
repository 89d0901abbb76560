package io.agentvisor.driver.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * What /proc says about a pid. A pid alone names nothing durable (it is reused), so a process is identified by
 * pid + start time (field 22 of /proc/pid/stat, clock ticks since boot), which is unique per boot.
 */
public final class ProcFs {
    private final Path proc;

    public ProcFs() {
        this(Path.of("/proc"));
    }

    ProcFs(Path proc) {
        this.proc = proc;
    }

    /** Start time of a live (non-zombie) process, empty when it is gone or a zombie. */
    public OptionalLong startTime(long pid) {
        try {
            String stat = Files.readString(proc.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.UTF_8);
            return parseStartTime(stat);
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    /** Parses /proc/pid/stat; the comm field is in parentheses and may itself contain spaces or ')'. */
    static OptionalLong parseStartTime(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            return OptionalLong.empty();
        }
        String[] f = stat.substring(close + 2).trim().split(" ");
        // f[0] is field 3 (state); starttime is field 22
        if (f.length < 20 || f[0].equals("Z") || f[0].equals("X")) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(f[19]));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    public List<String> cmdline(long pid) {
        try {
            byte[] raw = Files.readAllBytes(proc.resolve(Long.toString(pid)).resolve("cmdline"));
            List<String> args = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] == 0) {
                    args.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
                    start = i + 1;
                }
            }
            return args;
        } catch (IOException e) {
            return List.of();
        }
    }

    /** True when pid is alive, started at {@code startTime}, and is a QEMU whose -uuid is {@code uid}. */
    public boolean isQemuOf(long pid, long startTime, String uid) {
        OptionalLong st = startTime(pid);
        return st.isPresent() && st.getAsLong() == startTime && isQemuCmdline(cmdline(pid), uid);
    }

    static boolean isQemuCmdline(List<String> argv, String uid) {
        if (argv.isEmpty() || !Path.of(argv.get(0)).getFileName().toString().startsWith("qemu-system")) {
            return false;
        }
        for (int i = 0; i + 1 < argv.size(); i++) {
            if (argv.get(i).equals("-uuid") && argv.get(i + 1).equals(uid)) {
                return true;
            }
        }
        return false;
    }
}
