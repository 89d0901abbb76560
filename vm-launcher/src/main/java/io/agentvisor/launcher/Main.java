package io.agentvisor.launcher;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentvisor.qmp.QmpClient;
import io.agentvisor.qmp.QmpException;
import sun.misc.Signal;

/**
 * PID 1 of a VM's container: {@code java -jar agentvisor-vm-launcher.jar -- qemu-system-x86_64 ...}.
 * <ul>
 * <li>Starts QEMU with the argv it is given, stdin/stdout/stderr inherited (the serial console is the container's
 * log), and exits with QEMU's exit status (128+signal when QEMU was killed by a signal).</li>
 * <li>On SIGTERM (pod deletion, drain, eviction, preemption) it stops the guest gracefully within the pod's
 * termination grace: it waits {@link Settings#guestShutdownWait()} for the guest to stop on its own (the node driver
 * sends the guest agent's guest-shutdown), then presses the ACPI power button ({@code system_powerdown} on its own
 * QMP socket), then tells QEMU to {@code quit} {@link Settings#quitMargin()} before the grace ends.</li>
 * <li>Before QEMU starts, every qcow2 disk's header is read: an image that names an external data file is refused
 * (exit status 2, the reason on stderr and so in the pod's termination message).</li>
 * </ul>
 */
public final class Main {
    static final String PREFIX = "agentvisor-vm-launcher: ";
    static final int EXIT_REFUSED = 2;
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration AFTER_QUIT = Duration.ofSeconds(3);

    private Main() {
    }

    public static void main(String[] args) {
        List<String> argv = new ArrayList<>(List.of(args));
        if (!argv.isEmpty() && argv.get(0).equals("--")) {
            argv.remove(0);
        }
        if (argv.isEmpty()) {
            log("usage: java -jar agentvisor-vm-launcher.jar -- qemu-system-x86_64 [options...]");
            System.exit(EXIT_REFUSED);
        }
        Settings settings;
        try {
            settings = Settings.from(System.getenv());
        } catch (IllegalArgumentException e) {
            log(e.getMessage());
            System.exit(EXIT_REFUSED);
            return;
        }
        Optional<String> refused = checkDisks(argv);
        if (refused.isPresent()) {
            log("refusing to start QEMU: " + refused.get());
            System.exit(EXIT_REFUSED);
        }
        System.exit(run(argv, settings));
    }

    /** Starts QEMU, handles SIGTERM/SIGINT, returns QEMU's exit status. */
    static int run(List<String> argv, Settings settings) {
        // handlers first: a pod deleted while QEMU starts still gets its graceful stop
        AtomicReference<Process> started = new AtomicReference<>();
        AtomicReference<String> signalled = new AtomicReference<>();
        for (String name : List.of("TERM", "INT")) {
            Signal.handle(new Signal(name), s -> {
                if (signalled.compareAndSet(null, name)) {
                    Process p = started.get();
                    if (p != null) {
                        stopInBackground(p, settings, name);
                    }
                }
            });
        }
        Process qemu;
        try {
            qemu = new ProcessBuilder(argv).inheritIO().start();
        } catch (IOException e) {
            log("cannot start " + argv.get(0) + ": " + e.getMessage());
            return 127;
        }
        log("QEMU started (pid " + qemu.pid() + "); on SIGTERM: " + settings.powerdownAt().toSeconds()
                + " s for the guest to stop, then ACPI power button, then quit at " + settings.quitAt().toSeconds()
                + " s of the " + settings.terminationGrace().toSeconds() + " s grace");
        started.set(qemu);
        if (signalled.get() != null) {
            stopInBackground(qemu, settings, signalled.get());
        }
        while (true) {
            try {
                int status = qemu.waitFor();
                log("QEMU exited with status " + status);
                return status;
            } catch (InterruptedException e) {
                // PID 1 waits for its child whatever happens
            }
        }
    }

    private static final AtomicBoolean STOPPING = new AtomicBoolean();

    private static void stopInBackground(Process qemu, Settings settings, String signal) {
        if (STOPPING.compareAndSet(false, true)) {
            Thread t = new Thread(() -> stop(qemu, settings, signal), "graceful-stop");
            t.setDaemon(true);
            t.start();
        }
    }

    /** The graceful stop, timed from the moment the signal arrived. */
    static void stop(Process qemu, Settings s, String signal) {
        long t0 = System.nanoTime();
        log("SIG" + signal + ": waiting up to " + s.powerdownAt().toSeconds() + " s for the guest to stop");
        if (waitUntil(qemu, t0, s.powerdownAt())) {
            return;
        }
        try (QmpClient qmp = connect(s.qmpSocket())) {
            log("the guest is still running: pressing the ACPI power button (system_powerdown)");
            qmp.systemPowerdown(QMP_TIMEOUT);
        } catch (QmpException e) {
            log("system_powerdown failed: " + e.getMessage());
        }
        if (waitUntil(qemu, t0, s.quitAt())) {
            return;
        }
        log("the guest did not power off: telling QEMU to quit");
        try (QmpClient qmp = connect(s.qmpSocket())) {
            qmp.quit(QMP_TIMEOUT);
        } catch (QmpException e) {
            log("quit over QMP failed (" + e.getMessage() + "): sending QEMU SIGTERM");
            qemu.destroy();
        }
        try {
            if (!qemu.waitFor(AFTER_QUIT.toMillis(), TimeUnit.MILLISECONDS)) {
                log("QEMU did not exit: killing it");
                qemu.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static QmpClient connect(Path socket) throws QmpException {
        return QmpClient.connect(socket, QMP_TIMEOUT, "launcher-qmp", e -> { }, () -> { });
    }

    /** Waits until {@code t0 + at} for QEMU to exit; true when it did. */
    private static boolean waitUntil(Process qemu, long t0, Duration at) {
        long left = t0 + at.toNanos() - System.nanoTime();
        try {
            return left <= 0 ? !qemu.isAlive() : qemu.waitFor(left, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !qemu.isAlive();
        }
    }

    /** The first qcow2 disk (a -blockdev with driver qcow2) whose header must not be opened, if any. */
    static Optional<String> checkDisks(List<String> argv) {
        ObjectMapper json = new ObjectMapper();
        for (int i = 0; i < argv.size() - 1; i++) {
            if (!argv.get(i).equals("-blockdev") || !argv.get(i + 1).startsWith("{")) {
                continue;
            }
            JsonNode node;
            try {
                node = json.readTree(argv.get(i + 1));
            } catch (IOException e) {
                return Optional.of("-blockdev " + argv.get(i + 1) + " is not JSON");
            }
            if ("qcow2".equals(node.path("driver").asText())) {
                String file = node.path("file").path("filename").asText(null);
                if (file == null) {
                    return Optional.of("-blockdev " + node.path("node-name").asText() + " has no file.filename");
                }
                Optional<String> r = Qcow2Header.refusal(Path.of(file));
                if (r.isPresent()) {
                    return r;
                }
            }
        }
        return Optional.empty();
    }

    static void log(String message) {
        System.err.println(PREFIX + message);
        System.err.flush();
    }
}
