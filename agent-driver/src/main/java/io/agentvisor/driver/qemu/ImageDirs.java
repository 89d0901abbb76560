package io.agentvisor.driver.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The directories VM images (kernels, initrds, disks) may come from. A CR names host paths, so without this check
 * anyone who can create a VirtualMachine could have QEMU read (or, as a writable disk, overwrite) any file on the
 * node. Symlinks are resolved before the check.
 */
public record ImageDirs(List<Path> dirs) {
    public ImageDirs {
        dirs = dirs.stream().map(d -> d.toAbsolutePath().normalize()).toList();
    }

    /** Returns the real path of an allowed, existing regular file, or throws with a message for the VM's status. */
    public Path check(String what, String path) {
        Path p = Path.of(path);
        if (!p.isAbsolute()) {
            throw new IllegalArgumentException(what + " " + path + " must be an absolute path");
        }
        Path real;
        try {
            real = p.toRealPath();
        } catch (IOException e) {
            throw new IllegalArgumentException(what + " " + path + " does not exist on this node");
        }
        if (!Files.isRegularFile(real)) {
            throw new IllegalArgumentException(what + " " + path + " is not a regular file");
        }
        for (Path d : dirs) {
            Path realDir;
            try {
                realDir = d.toRealPath();
            } catch (IOException e) {
                continue;
            }
            if (real.startsWith(realDir)) {
                return real;
            }
        }
        throw new IllegalArgumentException(what + " " + path + " is outside the allowed image directories " + dirs
                + " (agentvisor.driver.image-dirs)");
    }
}
