package io.agentvisor.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the repository and the project's cache are, as seen from a test JVM. */
public final class Repo {
    private Repo() {
    }

    /** The repository root: system property {@code agentvisor.root} (set by the build), else found upwards. */
    public static Path root() {
        String prop = System.getProperty("agentvisor.root");
        if (prop != null && Files.isRegularFile(Path.of(prop, "scripts", "cluster.sh"))) {
            return Path.of(prop).toAbsolutePath();
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("scripts/cluster.sh"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find the repository root (scripts/cluster.sh); set -Dagentvisor.root");
    }

    /** The cache that scripts/deps.sh fills: $AGENTVISOR_CACHE or ~/.cache/agentvisor. */
    public static Path cache() {
        String env = System.getenv("AGENTVISOR_CACHE");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "agentvisor");
    }

    /** A fresh short temp directory (AF_UNIX socket paths must stay under ~107 bytes). */
    public static Path shortTempDir(String prefix) {
        try {
            return Files.createTempDirectory(Path.of("/tmp"), prefix);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Removes a directory tree, best effort (a test must not leave temp directories behind). */
    public static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException ignored) {
            // best effort: a leftover temp dir is not worth failing a test run for
        }
    }
}
