package io.agentvisor.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A packaged application ({@code java -jar}, e.g. the operator's or the driver's quarkus-run.jar) as a real child
 * process, configured through its environment as the Helm chart does, its output appended to a log file.
 * Closing it stops it: SIGTERM, then SIGKILL after the grace.
 */
public record JarProcess(Process process, Path log) implements AutoCloseable {
    private static final Pattern QUARKUS_PORT = Pattern.compile("Listening on: http://[^:]+:(\\d+)");
    private static final Duration GRACE = Duration.ofSeconds(40);

    /**
     * Starts {@code java [jvmArgs] -jar jar} with {@code env} added to this JVM's environment.
     *
     * @throws IllegalStateException when the jar is missing (it must be packaged first)
     */
    public static JarProcess start(Path jar, Path log, Map<String, String> env, String... jvmArgs) {
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " missing: package it first");
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(vertxCache());
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of("-jar", jar.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        try {
            return new JarProcess(pb.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Everything it printed so far. */
    public String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * Waits until its output satisfies {@code ok} and returns the output then.
     *
     * @throws AssertionError naming {@code what}, with the output, when it exits first or after {@code max}
     */
    public String awaitLog(String what, Duration max, Predicate<String> ok) {
        try {
            Await.until(what, max, () -> !isAlive() || ok.test(output()));
        } catch (RuntimeException e) {
            throw new AssertionError(what + " not seen within " + max + ":\n" + output(), e);
        }
        String out = output();
        if (!ok.test(out)) {
            throw new AssertionError(what + " not seen: the process exited (" + process.exitValue() + "):\n" + out);
        }
        return out;
    }

    /** The HTTP port a Quarkus application listens on, from its start-up line (for quarkus.http.port=0). */
    public int httpPort(Duration max) {
        String out = awaitLog("the HTTP port", max, o -> QUARKUS_PORT.matcher(o).find());
        Matcher m = QUARKUS_PORT.matcher(out);
        int port = -1;
        while (m.find()) {
            port = Integer.parseInt(m.group(1));
        }
        return port;
    }

    /**
     * Waits for it to exit by itself and returns its exit status.
     *
     * @throws AssertionError with the output when it is still running after {@code max} (it is then killed)
     */
    public int awaitExit(Duration max) throws InterruptedException {
        if (!process.waitFor(max.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("did not exit within " + max + ":\n" + output());
        }
        return process.exitValue();
    }

    public void kill9() throws InterruptedException {
        Signals.kill9(process.pid());
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        Signals.terminate(process, GRACE);
    }

    /** The test JVM's Vert.x cache directory for a child JVM too (the build sets it outside /tmp), if set. */
    public static List<String> vertxCache() {
        String dir = System.getProperty("vertx.cacheDirBase");
        return dir == null ? List.of() : List.of("-Dvertx.cacheDirBase=" + dir);
    }
}
