package io.agentvisor.driver.kube;

import io.agentvisor.api.v1alpha1.VmPods;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.regex.Pattern;

/**
 * Where the driver reaches one VM pod's sockets. The pod's {@code agentvisor-run} emptyDir is, on the node,
 * {@code <kubeletRoot>/pods/<pod uid>/volumes/kubernetes.io~empty-dir/agentvisor-run/}: too long for an AF_UNIX
 * address, so the driver connects through a symlink {@code <runDir>/<pod uid>} to that directory.
 *
 * <p>The files in that directory are written by the pod (by QEMU, a process the driver does not trust): before
 * connecting, the socket must be a socket, not a symlink the pod planted to point the driver at some other socket
 * on the node.
 */
public record PodSockets(String podUid, Path volumeDir, Path link) {
    /** sun_path is 108 bytes including the terminating NUL. */
    public static final int MAX_SOCKET_PATH = 107;
    public static final String QMP = VmPods.QMP_SOCKET;
    public static final String QGA = VmPods.AGENT_SOCKET;
    private static final Pattern UID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    public static PodSockets of(DriverConfig config, String podUid) {
        if (podUid == null || !UID.matcher(podUid).matches()) {
            throw new IllegalArgumentException("pod uid '" + podUid + "' is not a Kubernetes uid");
        }
        return new PodSockets(podUid, config.kubeletRootDir().resolve("pods").resolve(podUid).resolve("volumes")
                .resolve("kubernetes.io~empty-dir").resolve(VmPods.RUN_VOLUME), config.runDir().resolve(podUid));
    }

    /** Refuses a run directory whose socket paths would pass the AF_UNIX limit (every uid has the same length). */
    static void requireShortRunDir(Path runDir) {
        String longest = runDir.resolve("00000000-0000-0000-0000-000000000000").resolve(QMP).toString();
        int len = longest.getBytes(StandardCharsets.UTF_8).length;
        if (len > MAX_SOCKET_PATH) {
            throw new IllegalArgumentException("agentvisor.driver.run-dir " + runDir + " is too long: socket paths "
                    + "under it would be " + len + " bytes, over the AF_UNIX limit of " + MAX_SOCKET_PATH);
        }
    }

    public Path qmp() {
        return link.resolve(QMP);
    }

    public Path qga() {
        return link.resolve(QGA);
    }

    /** The QMP socket's path on the node, without the driver's link (to compare with what a QEMU sees). */
    public Path qmpOnNode() {
        return volumeDir.resolve(QMP);
    }

    /** Creates (or re-points) the link; the run directory itself is created 0700. */
    public void createLink() throws IOException {
        Path dir = link.getParent();
        Files.createDirectories(dir.getParent());
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException ignored) {
            // there already
        }
        if (Files.isSymbolicLink(link)) {
            if (Files.readSymbolicLink(link).equals(volumeDir)) {
                return;
            }
            Files.delete(link);
        } else if (Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(link + " exists and is not the driver's link");
        }
        Files.createSymbolicLink(link, volumeDir);
    }

    public void removeLink() throws IOException {
        if (Files.isSymbolicLink(link)) {
            Files.delete(link);
        }
    }

    /** Whether {@code socket} (qmp() or qga()) is there as a socket; a symlink or any other file is refused. */
    public static boolean isSocket(Path socket) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
        if (a.isSymbolicLink() || !a.isOther()) {
            throw new IOException(socket + " is not a socket (" + (a.isSymbolicLink() ? "a symlink"
                    : a.isDirectory() ? "a directory" : "a regular file") + "): refusing to connect to it");
        }
        return true;
    }
}
