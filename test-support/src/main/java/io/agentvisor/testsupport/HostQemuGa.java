package io.agentvisor.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real qemu-ga (Debian's qemu-guest-agent) running on the host as a guest-agent peer:
 * {@code qemu-ga -m unix-listen -p SOCK -t STATEDIR}, on a short temp socket path.
 */
public final class HostQemuGa implements AutoCloseable {
    private static final Duration READY = Duration.ofSeconds(10);

    private final Path dir;
    private final Path socket;
    private final List<String> args;
    private volatile Process process;

    private HostQemuGa(Path dir, List<String> args) {
        this.dir = dir;
        this.socket = dir.resolve("qga.sock");
        this.args = args;
    }

    /** Starts qemu-ga with optional extra arguments (e.g. {@code "-b", "guest-get-users"}) and waits until it syncs. */
    public static HostQemuGa start(String... extraArgs) {
        HostQemuGa ga = new HostQemuGa(Repo.shortTempDir("avga"), List.of(extraArgs));
        Leftovers.track(ga);
        try {
            ga.launch();
        } catch (RuntimeException e) {
            ga.close();
            throw e;
        }
        return ga;
    }

    /** Path of the qemu-ga binary: $PATH first, then Debian's /usr/sbin. */
    public static String binary() {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "qemu-ga"))) {
                return Path.of(dir, "qemu-ga").toString();
            }
        }
        throw new IllegalStateException("qemu-ga not found: run 'make deps' (Debian package qemu-guest-agent)");
    }

    private synchronized void launch() {
        try {
            Files.deleteIfExists(socket);
            Files.createDirectories(dir.resolve("state"));
            List<String> cmd = new ArrayList<>(List.of(binary(), "-m", "unix-listen", "-p", socket.toString(),
                    "-t", dir.resolve("state").toString()));
            cmd.addAll(args);
            process = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("qemu-ga.log").toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long deadline = System.nanoTime() + READY.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("qemu-ga exited at start: " + log());
            }
            if (Files.exists(socket) && AgentProbe.syncs(socket, Duration.ofSeconds(2))) {
                return;
            }
            sleep(20);
        }
        throw new IllegalStateException("qemu-ga did not answer guest-sync within " + READY.toSeconds() + " s: " + log());
    }

    public Path socket() {
        return socket;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGSTOP: connect() still succeeds (the kernel queues it), but nothing is read or answered. */
    public void freeze() {
        Signals.stop(pid());
    }

    /** SIGCONT. */
    public void thaw() {
        Signals.cont(pid());
    }

    /** SIGKILL, as if the agent crashed; {@link #restart()} brings it back on the same socket. */
    public void kill() {
        Signals.kill9(pid());
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts the agent again on the same socket path (qemu-ga exits on its own sometimes; clients must cope). */
    public void restart() {
        if (process.isAlive()) {
            kill();
        }
        launch();
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("qemu-ga.log")).trim();
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (process != null) {
            Signals.terminate(process, Duration.ofSeconds(2));
        }
        Repo.deleteRecursively(dir);
        Leftovers.untrack(this);
    }
}
