package io.agentvisor.testsupport;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** POSIX signals the JDK cannot send itself (SIGSTOP/SIGCONT freeze and thaw a process). */
public final class Signals {
    private Signals() {
    }

    public static void stop(long pid) {
        send("STOP", pid);
    }

    public static void cont(long pid) {
        send("CONT", pid);
    }

    public static void kill9(long pid) {
        send("KILL", pid);
    }

    public static void send(String signal, long pid) {
        try {
            Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** SIGTERM, then SIGKILL after {@code grace} (qemu-ga 7.2 can hang on SIGTERM). Continues a stopped process first. */
    public static void terminate(Process process, Duration grace) {
        if (!process.isAlive()) {
            return;
        }
        try {
            send("CONT", process.pid());
        } catch (RuntimeException ignored) {
            // it may have exited in between
        }
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
