package io.agentvisor.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The real tiny guest (Debian kernel + busybox/qemu-ga initramfs built by {@code scripts/deps.sh guest}) booted by
 * {@code qemu-system-x86_64 -accel tcg}, with its agent channel and QMP on short unix socket paths.
 */
public final class TinyGuest implements AutoCloseable {
    /** Boot to a syncing agent takes 7–15 s under TCG; the bound is generous for a loaded 2-core machine. */
    private static final Duration BOOT = Duration.ofSeconds(120);

    private final Path dir;
    private final Process process;

    private TinyGuest(Path dir, Process process) {
        this.dir = dir;
        this.process = process;
    }

    public static Path kernel() {
        return requireFile(Repo.cache().resolve("guest/vmlinuz"));
    }

    public static Path initrd() {
        return requireFile(Repo.cache().resolve("guest/initramfs.cpio.gz"));
    }

    private static Path requireFile(Path p) {
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException(p + " missing: run 'make deps' (scripts/deps.sh guest)");
        }
        return p;
    }

    /** Boots the guest and returns once its own qemu-ga (inside the VM) answers guest-sync. */
    public static TinyGuest boot() {
        TinyGuest guest = start();
        guest.awaitAgent();
        return guest;
    }

    /**
     * Starts QEMU and returns once its QMP socket exists, before the guest has booted (so before the guest opens
     * its end of the agent channel).
     */
    public static TinyGuest start() {
        Path dir = Repo.shortTempDir("avvm");
        Path qga = dir.resolve("qga.sock");
        Path qmp = dir.resolve("qmp.sock");
        List<String> argv = List.of("qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", "256",
                "-nographic", "-nic", "none", "-kernel", kernel().toString(), "-initrd", initrd().toString(),
                "-append", "console=ttyS0 quiet", "-device", "virtio-serial",
                "-chardev", "socket,path=" + qga + ",server=on,wait=off,id=qga0",
                "-device", "virtserialport,chardev=qga0,id=qga0-port,name=org.qemu.guest_agent.0",
                "-qmp", "unix:" + qmp + ",server=on,wait=off");
        Process process;
        try {
            process = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("console.log").toFile()).redirectInput(ProcessBuilder.Redirect.PIPE)
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TinyGuest guest = new TinyGuest(dir, process);
        Leftovers.track(guest);
        long deadline = System.nanoTime() + BOOT.toNanos();
        while (!Files.exists(qmp) || !Files.exists(qga)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                String console = guest.console();
                guest.close();
                throw new IllegalStateException("qemu-system-x86_64 did not create its sockets: " + console);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                guest.close();
                throw new IllegalStateException("interrupted");
            }
        }
        return guest;
    }

    /** Waits until the guest's own qemu-ga answers guest-sync on the agent socket. */
    public void awaitAgent() {
        long deadline = System.nanoTime() + BOOT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                String console = console();
                close();
                throw new IllegalStateException("qemu-system-x86_64 exited during boot: " + console);
            }
            if (AgentProbe.syncs(agentSocket(), Duration.ofSeconds(5))) {
                return;
            }
        }
        String console = console();
        close();
        throw new IllegalStateException("the tiny guest's agent did not answer within " + BOOT.toSeconds() + " s; console: "
                + console);
    }

    public Path agentSocket() {
        return dir.resolve("qga.sock");
    }

    public Path qmpSocket() {
        return dir.resolve("qmp.sock");
    }

    public long pid() {
        return process.pid();
    }

    public Process process() {
        return process;
    }

    /** Freezes the whole VM (the QEMU process), so the agent inside stops answering. */
    public void freeze() {
        Signals.stop(pid());
    }

    public void thaw() {
        Signals.cont(pid());
    }

    public String console() {
        try {
            return Files.readString(dir.resolve("console.log"));
        } catch (IOException e) {
            return "(no console log)";
        }
    }

    @Override
    public void close() {
        Signals.terminate(process, Duration.ofSeconds(5));
        Repo.deleteRecursively(dir);
        Leftovers.untrack(this);
    }
}
