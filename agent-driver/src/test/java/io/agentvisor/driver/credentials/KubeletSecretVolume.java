package io.agentvisor.driver.credentials;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Writes a secret volume the way the kubelet's AtomicWriter does: the data in a timestamped {@code ..<ts>}
 * directory, {@code ..data} a symlink to it (swapped by a rename on an update), each key a symlink
 * {@code <key> -> ..data/<key>}.
 */
public final class KubeletSecretVolume {
    private static final AtomicInteger SEQ = new AtomicInteger();

    private KubeletSecretVolume() {
    }

    public static void write(Path dir, Map<String, String> data) throws IOException {
        Files.createDirectories(dir);
        String ts = "..2026_11_30_00_00_00." + SEQ.incrementAndGet();
        Path payload = Files.createDirectory(dir.resolve(ts));
        for (Map.Entry<String, String> e : data.entrySet()) {
            Files.writeString(payload.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8);
        }
        Path tmp = dir.resolve("..data_tmp");
        Files.deleteIfExists(tmp);
        Files.createSymbolicLink(tmp, Path.of(ts));
        Path old = Files.isSymbolicLink(dir.resolve("..data")) ? dir.resolve(Files.readSymbolicLink(dir.resolve("..data")))
                : null;
        Files.move(tmp, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (var entries = Files.list(dir)) {
            for (Path p : entries.toList()) {
                String n = p.getFileName().toString();
                if (!n.startsWith("..") && !data.containsKey(n)) {
                    Files.delete(p);
                }
            }
        }
        for (String key : data.keySet()) {
            Path link = dir.resolve(key);
            if (!Files.isSymbolicLink(link)) {
                Files.createSymbolicLink(link, Path.of("..data", key));
            }
        }
        if (old != null && !old.getFileName().toString().equals(ts)) {
            try (var files = Files.list(old)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(old);
        }
    }
}
