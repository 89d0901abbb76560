package io.agentvisor.driver.credentials;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * One secret volume of a VM pod as the kubelet laid it out on the node,
 * {@code <kubeletRoot>/pods/<pod uid>/volumes/kubernetes.io~secret/<volume>/}: one entry per key (a symlink into
 * {@code ..data/}, which the kubelet swaps atomically on an update) beside the kubelet's own {@code ..}-entries.
 * Only the kubelet writes there (the pod mounts it read-only); still, a key must resolve to a regular file inside
 * the volume, and at most {@link #MAX_BYTES} are read (a Secret's own limit).
 */
public final class SecretFiles {
    /** Kubernetes' limit on a Secret's data. */
    public static final int MAX_BYTES = 1024 * 1024;
    public static final String PLUGIN_DIR = "kubernetes.io~secret";
    private static final Pattern KEY = Pattern.compile("[-._a-zA-Z0-9]+");

    private SecretFiles() {
    }

    /** The volume's directory on the node. */
    public static Path volumeDir(Path kubeletRoot, String podUid, String volume) {
        return kubeletRoot.resolve("pods").resolve(podUid).resolve("volumes").resolve(PLUGIN_DIR).resolve(volume);
    }

    /**
     * The Secret's data by key (sorted), or null when the volume directory is not there (not set up yet).
     *
     * @throws IOException when a key is not a regular file inside the volume, or the data is over the limit; the
     *                     message names the key, never its content
     */
    public static Map<String, byte[]> read(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return null;
        }
        Path real = dir.toRealPath();
        Map<String, byte[]> data = new TreeMap<>();
        long total = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path e : entries) {
                String key = e.getFileName().toString();
                if (key.startsWith("..") || !KEY.matcher(key).matches()) {
                    continue; // the kubelet's ..data and timestamped directories
                }
                Path target;
                try {
                    target = e.toRealPath();
                } catch (NoSuchFileException gone) {
                    continue; // swapped while we read: the next pass sees the new version
                }
                if (!target.startsWith(real) || !Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
                    throw new IOException("key " + key + " is not a file inside the secret volume");
                }
                long size = Files.size(target);
                if (total + size > MAX_BYTES) {
                    throw new IOException("the data is larger than a Secret can be (" + MAX_BYTES + " bytes)");
                }
                byte[] bytes;
                try (InputStream in = Files.newInputStream(target)) {
                    bytes = in.readNBytes((int) (MAX_BYTES - total + 1));
                }
                total += bytes.length;
                if (total > MAX_BYTES) {
                    throw new IOException("the data is larger than a Secret can be (" + MAX_BYTES + " bytes)");
                }
                data.put(key, bytes);
            }
        }
        return data;
    }
}
