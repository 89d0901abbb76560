package io.agentvisor.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One packaged Quarkus jar (operator or agent-driver) run as a separate process, its output appended to a log file
 * under target/. Every started process is also killed by a JVM shutdown hook, whatever happens to the test.
 */
final class Component implements AutoCloseable {
    private static final Set<Process> STARTED = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> STARTED.forEach(p -> {
            p.destroyForcibly();
        }), "e2e-components-kill"));
    }

    final String name;
    private final List<String> command;
    private final Map<String, String> env;
    final Path log;
    private Process process;
    private int starts;

    Component(String name, Path jar, List<String> jvmArgs, Map<String, String> env, Path log) {
        this.name = name;
        this.command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1"));
        this.command.addAll(jvmArgs);
        this.command.addAll(List.of("-jar", jar.toString()));
        this.env = env;
        this.log = log;
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " missing: build the reactor first (./mvnw -B install -DskipTests)");
        }
    }

    synchronized void start() {
        if (isAlive()) {
            throw new IllegalStateException(name + " already runs (pid " + process.pid() + ")");
        }
        try {
            Files.createDirectories(log.getParent());
            Files.writeString(log, "\n===== e2e: start #" + (starts + 1) + " of " + name + " =====\n",
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().putAll(env);
            process = pb.start();
            STARTED.add(process);
            starts++;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    synchronized long pid() {
        return process.pid();
    }

    synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** How often this test started it; a crash loop would need a restart the test did not ask for. */
    synchronized int starts() {
        return starts;
    }

    synchronized Integer exitCode() {
        return process == null || process.isAlive() ? null : process.exitValue();
    }

    synchronized boolean waitForExit(Duration max) throws InterruptedException {
        return process.waitFor(max.toMillis(), TimeUnit.MILLISECONDS);
    }

    synchronized void kill9() throws InterruptedException {
        process.destroyForcibly(); // SIGKILL on Linux
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            throw new IllegalStateException(name + " survived SIGKILL");
        }
        STARTED.remove(process);
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    /** The log since the last start. */
    String currentLog() {
        String all = log();
        int i = all.lastIndexOf("===== e2e: start #");
        return i < 0 ? all : all.substring(i);
    }

    String tail(int lines) {
        String[] l = currentLog().split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(l, Math.max(0, l.length - lines), l.length));
    }

    @Override
    public synchronized void close() {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        STARTED.remove(process);
    }
}
