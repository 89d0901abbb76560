package io.agentvisor.driver.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Finds the QEMU of a VM pod among the node's processes, as the node sees them (the driver runs with the host's
 * pid namespace, so /proc lists every container's processes under their host pids).
 *
 * <p>Every VM pod's QEMU names the same socket path on its command line ({@code /run/agentvisor/qmp.sock}
 * inside its own mount namespace), so the path alone identifies nothing. The QEMU of one pod is the
 * {@code qemu-system-*} process whose QMP socket path, resolved in <em>that process's</em> root
 * ({@code /proc/<pid>/root/<path>}), is the very file (same device and inode) the driver reaches through the pod's
 * volume directory on the host. That holds in any mount namespace, and for a QEMU on the host too.
 *
 * <p>A pid alone names nothing durable (it is reused), so a process is identified by pid + start time (field 22 of
 * /proc/pid/stat, clock ticks since boot).
 */
public final class ProcFs {
    /** The QMP socket's file name in the VM pod's run volume (the VM-pod contract). */
    public static final String QMP_SOCKET = io.agentvisor.api.v1alpha1.VmPods.QMP_SOCKET;

    private final Path proc;

    public ProcFs() {
        this(Path.of("/proc"));
    }

    public ProcFs(Path proc) {
        this.proc = proc;
    }

    /** A process: pid and start time (together unique per boot). */
    public record ProcessId(long pid, long startTime) {
    }

    /**
     * The live QEMU whose QMP socket is {@code qmpSocket} (a path the driver can stat), if one runs.
     *
     * @throws IOException when the socket itself cannot be read
     */
    public Optional<ProcessId> findQemuListeningOn(Path qmpSocket) throws IOException {
        Object want = Files.readAttributes(qmpSocket, BasicFileAttributes.class).fileKey();
        if (want == null) {
            throw new IOException("this file system gives no file identity for " + qmpSocket);
        }
        List<Path> pids;
        try (var s = Files.list(proc)) {
            pids = s.filter(p -> isNumber(p.getFileName().toString())).toList();
        }
        for (Path p : pids) {
            long pid = Long.parseLong(p.getFileName().toString());
            List<String> argv = cmdline(pid);
            if (!isQemu(argv)) {
                continue;
            }
            for (String candidate : qmpSocketPaths(argv)) {
                Path inItsRoot = p.resolve("root").resolve(candidate.substring(1));
                try {
                    if (want.equals(Files.readAttributes(inItsRoot, BasicFileAttributes.class).fileKey())) {
                        OptionalLong st = startTime(pid);
                        if (st.isPresent()) {
                            return Optional.of(new ProcessId(pid, st.getAsLong()));
                        }
                    }
                } catch (IOException | SecurityException e) {
                    // gone meanwhile, or not ours to look into: not this one
                }
            }
        }
        return Optional.empty();
    }

    /** Whether {@code id} still runs (same pid, same start time, not a zombie). */
    public boolean alive(ProcessId id) {
        OptionalLong st = startTime(id.pid());
        return st.isPresent() && st.getAsLong() == id.startTime();
    }

    static boolean isNumber(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!Character.isDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    static boolean isQemu(List<String> argv) {
        if (argv.isEmpty()) {
            return false;
        }
        String arg0 = argv.get(0);
        return arg0.substring(arg0.lastIndexOf('/') + 1).startsWith("qemu-system");
    }

    /**
     * The absolute paths on a QEMU command line that name a file called {@value #QMP_SOCKET}: in
     * {@code -qmp unix:PATH,...}, {@code -chardev socket,path=PATH,...} and the like (QEMU writes a literal comma
     * in an option value as two).
     */
    static List<String> qmpSocketPaths(List<String> argv) {
        List<String> out = new ArrayList<>();
        for (String arg : argv.subList(1, argv.size())) {
            for (String token : splitOptions(arg)) {
                String v = token;
                int eq = v.indexOf('=');
                if (v.startsWith("unix:")) {
                    v = v.substring(5);
                } else if (eq > 0 && !v.startsWith("/")) {
                    v = v.substring(eq + 1);
                }
                if (v.startsWith("unix:")) {
                    v = v.substring(5);
                }
                if (v.startsWith("/") && (v.endsWith("/" + QMP_SOCKET)) && !out.contains(v)) {
                    out.add(v);
                }
            }
        }
        return out;
    }

    /** QEMU option syntax: comma-separated, ",," is a literal comma. */
    static List<String> splitOptions(String arg) {
        List<String> parts = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < arg.length(); i++) {
            char c = arg.charAt(i);
            if (c == ',') {
                if (i + 1 < arg.length() && arg.charAt(i + 1) == ',') {
                    cur.append(',');
                    i++;
                } else {
                    parts.add(cur.toString());
                    cur.setLength(0);
                }
            } else {
                cur.append(c);
            }
        }
        parts.add(cur.toString());
        return parts;
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

    @Override
    public String toString() {
        return Objects.toString(proc);
    }
}
