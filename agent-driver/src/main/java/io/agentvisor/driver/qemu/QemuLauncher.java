package io.agentvisor.driver.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Starts, finds again and kills QEMU processes, with the pid + start time + uid record on disk as the only link
 * between a driver and the QEMUs it started. QEMU daemonizes itself, so the driver is never its parent: a driver
 * exit (even kill -9) leaves it running, and a new driver adopts it by checking that the recorded pid still has
 * the recorded start time and a QEMU command line with the VM's uid. Nothing here ever signals a pid that failed
 * that check.
 */
public final class QemuLauncher {
    private static final Logger LOG = Logger.getLogger(QemuLauncher.class);
    /** QEMU's daemonize parent exits once the VM is set up; TCG start-up on a loaded host takes a few seconds. */
    private static final Duration LAUNCH_TIMEOUT = Duration.ofSeconds(60);

    private final String qemuBinary;
    private final ProcFs proc;

    public QemuLauncher(String qemuBinary, ProcFs proc) {
        this.qemuBinary = qemuBinary;
        this.proc = proc;
    }

    public String binary() {
        return qemuBinary;
    }

    /**
     * Launches QEMU for {@code vm} and records it. The caller must have checked that no QEMU of this VM runs
     * (via {@link #adopt}); QEMU's locked pid file refuses a second one anyway.
     */
    public QemuRecord launch(VmSpec vm, VmPaths paths, String accelerator) throws IOException {
        paths.create();
        Optional<QemuRecord> running = adopt(paths, vm.uid());
        if (running.isPresent()) {
            // never a second QEMU, and never remove a live QEMU's sockets
            throw new IOException("QEMU of " + vm.key() + " already runs as pid " + running.get().pid());
        }
        Files.deleteIfExists(paths.qmpSocket());
        Files.deleteIfExists(paths.agentSocket());
        Files.deleteIfExists(paths.record());
        List<String> argv = QemuCommandLine.build(qemuBinary, vm, paths, accelerator);
        if (!Files.exists(paths.qemuLog())) {
            Files.createFile(paths.qemuLog(), PosixFilePermissions.asFileAttribute(VmPaths.FILE_MODE));
        }
        Files.writeString(paths.qemuLog(), "--- " + java.time.Instant.now() + " " + String.join(" ", argv) + "\n",
                java.nio.file.StandardOpenOption.APPEND);
        Process parent = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(paths.qemuLog().toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        long launchedAt = System.currentTimeMillis();
        try {
            if (!parent.waitFor(LAUNCH_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                parent.destroyForcibly();
                throw new IOException("QEMU did not finish starting within " + LAUNCH_TIMEOUT.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while QEMU was starting");
        }
        if (parent.exitValue() != 0) {
            throw new IOException("QEMU failed to start (exit " + parent.exitValue() + "): " + lastLines(paths.qemuLog()));
        }
        long pid = Long.parseLong(Files.readString(paths.pidFile()).trim());
        OptionalLong start = proc.startTime(pid);
        if (start.isEmpty() || !ProcFs.isQemuCmdline(proc.cmdline(pid), vm.uid())) {
            throw new IOException("QEMU (pid " + pid + ") exited right after starting: " + lastLines(paths.qemuLog()));
        }
        QemuRecord rec = new QemuRecord(vm.namespace(), vm.name(), vm.uid(), pid, start.getAsLong(), accelerator,
                launchedAt);
        rec.write(paths.record());
        tightenSockets(paths);
        LOG.infof("%s: started QEMU pid %d (%s)", vm.key(), pid, accelerator);
        return rec;
    }

    /**
     * The running QEMU of the VM with this uid, if there is one and it really is that VM's: the record's pid with
     * the record's start time and -uuid. Falls back to QEMU's own pid file for the window between QEMU's start and
     * the record being written (a driver killed right then).
     */
    public Optional<QemuRecord> adopt(VmPaths paths, String uid) throws IOException {
        Optional<QemuRecord> rec = QemuRecord.read(paths.record());
        if (rec.isPresent()) {
            QemuRecord r = rec.get();
            if (r.uid().equals(uid) && proc.isQemuOf(r.pid(), r.startTime(), uid)) {
                return rec;
            }
            return Optional.empty();
        }
        if (!Files.exists(paths.pidFile())) {
            return Optional.empty();
        }
        long pid;
        try {
            pid = Long.parseLong(Files.readString(paths.pidFile()).trim());
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        List<String> argv = proc.cmdline(pid);
        OptionalLong start = proc.startTime(pid);
        if (start.isEmpty() || !ProcFs.isQemuCmdline(argv, uid) || !argv.contains(paths.pidFile().toString())) {
            return Optional.empty();
        }
        String accel = argv.indexOf("-accel") >= 0 && argv.indexOf("-accel") + 1 < argv.size()
                ? argv.get(argv.indexOf("-accel") + 1) : "unknown";
        QemuRecord r = new QemuRecord(null, null, uid, pid, start.getAsLong(), accel, System.currentTimeMillis());
        r.write(paths.record());
        LOG.infof("re-created the record of QEMU pid %d (uid %s) from its pid file", pid, uid);
        return Optional.of(r);
    }

    /** Whether the recorded QEMU still runs (not a zombie, same start time, same uid). */
    public boolean isRunning(QemuRecord r) {
        return proc.isQemuOf(r.pid(), r.startTime(), r.uid());
    }

    /** SIGKILL, only if the pid is still that QEMU. */
    public void kill(QemuRecord r) {
        if (isRunning(r)) {
            ProcessHandle.of(r.pid()).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    private static void tightenSockets(VmPaths paths) {
        for (Path s : new Path[] {paths.qmpSocket(), paths.agentSocket()}) {
            try {
                if (Files.exists(s)) {
                    Files.setPosixFilePermissions(s, VmPaths.FILE_MODE);
                }
            } catch (IOException e) {
                // the 0700 run directory still protects it
            }
        }
    }

    static String lastLines(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size())).trim();
        } catch (IOException e) {
            return "(no QEMU log)";
        }
    }
}
