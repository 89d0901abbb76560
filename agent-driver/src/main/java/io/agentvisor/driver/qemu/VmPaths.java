package io.agentvisor.driver.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.channels.FileChannel;
import java.util.Set;

/**
 * On-disk layout of one VM, keyed by the object's uid (never by a name: a VM deleted and re-created under the
 * same name while the old QEMU still runs must not share files with it):
 * <pre>
 *   &lt;stateDir&gt;/vms/&lt;uid&gt;/        0700  vm.json (the QEMU record), agent.json (applied agent settings),
 *                                      lifecycle.json, console.log, qemu.log, qemu.pid
 *   &lt;runDir&gt;/&lt;uid&gt;/              0700  qmp, qga (sockets, 0600): short paths for AF_UNIX
 * </pre>
 */
public record VmPaths(Path dir, Path runDir) {
    /** sun_path is 108 bytes including the terminating NUL. */
    public static final int MAX_SOCKET_PATH = 107;
    static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");

    public static VmPaths of(Path stateDir, Path runDir, String uid) {
        Names.requireUid(uid);
        VmPaths p = new VmPaths(vmsDir(stateDir).resolve(uid), runDir.toAbsolutePath().normalize().resolve(uid));
        for (Path socket : new Path[] {p.qmpSocket(), p.agentSocket()}) {
            int len = socket.toString().getBytes(StandardCharsets.UTF_8).length;
            if (len > MAX_SOCKET_PATH) {
                throw new IllegalArgumentException("socket path " + socket + " is " + len + " bytes, over the AF_UNIX "
                        + "limit of " + MAX_SOCKET_PATH + ": configure a shorter run directory "
                        + "(agentvisor.driver.run-dir)");
            }
        }
        return p;
    }

    /**
     * Refuses, at driver start, a run directory whose socket paths would exceed the AF_UNIX limit: every uid has
     * the same length, so one check covers every VM the driver will ever run.
     */
    public static void requireShortRunDir(Path runDir) {
        of(Path.of("/"), runDir, "00000000-0000-0000-0000-000000000000");
    }

    public static Path vmsDir(Path stateDir) {
        return stateDir.toAbsolutePath().normalize().resolve("vms");
    }

    public Path qmpSocket() {
        return runDir.resolve("qmp");
    }

    public Path agentSocket() {
        return runDir.resolve("qga");
    }

    public Path record() {
        return dir.resolve("vm.json");
    }

    public Path agentSettings() {
        return dir.resolve("agent.json");
    }

    public Path lifecycle() {
        return dir.resolve("lifecycle.json");
    }

    public Path pidFile() {
        return dir.resolve("qemu.pid");
    }

    public Path consoleLog() {
        return dir.resolve("console.log");
    }

    public Path qemuLog() {
        return dir.resolve("qemu.log");
    }

    /** Creates both directories with mode 0700 (and re-tightens them if they existed). */
    public void create() throws IOException {
        createPrivateDir(dir);
        createPrivateDir(runDir);
    }

    public static void createPrivateDir(Path d) throws IOException {
        Files.createDirectories(d.getParent());
        try {
            Files.createDirectory(d, PosixFilePermissions.asFileAttribute(DIR_MODE));
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(d, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException(d + " exists and is not a directory");
            }
        }
        Files.setPosixFilePermissions(d, DIR_MODE);
    }

    /** Writes a file atomically (temp file, fsync, rename) with mode 0600: a crash leaves the old or the new one. */
    public static void writeAtomically(Path target, byte[] content) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(FILE_MODE));
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(content));
            ch.force(true);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Removes both directories (after QEMU is gone for good). */
    public void delete() throws IOException {
        for (Path d : new Path[] {runDir, dir}) {
            if (Files.exists(d)) {
                try (var walk = Files.walk(d)) {
                    for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }
}
