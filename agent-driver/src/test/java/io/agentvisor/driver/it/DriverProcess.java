package io.agentvisor.driver.it;

import io.agentvisor.testsupport.KubeApiServer;
import io.agentvisor.testsupport.Signals;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The packaged driver (target/quarkus-app/quarkus-run.jar) as a real process, on a random HTTP port. */
final class DriverProcess implements AutoCloseable {
    private static final Pattern PORT = Pattern.compile("Listening on: http://[^:]+:(\\d+)");
    private final Path log;
    private final Map<String, String> env;
    private Process process;

    DriverProcess(KubeApiServer api, String node, Path runDir, Path kubeletRootDir, Path log) {
        this(api.kubeconfig(), node, runDir, kubeletRootDir, log);
    }

    /** A driver that reaches the API through the given kubeconfig (e.g. a fault-injecting proxy's). */
    DriverProcess(Path kubeconfig, String node, Path runDir, Path kubeletRootDir, Path log) {
        this.log = log;
        this.env = Map.of("NODE_NAME", node, "KUBECONFIG", kubeconfig.toString(),
                "AGENTVISOR_DRIVER_RUN_DIR", runDir.toString(),
                "AGENTVISOR_DRIVER_KUBELET_ROOT_DIR", kubeletRootDir.toString(),
                "AGENTVISOR_DRIVER_HTTP_PORT", "0",
                // never registers with this machine's kubelet (/var/lib/kubelet/device-plugins), were KVM usable here
                "AGENTVISOR_DRIVER_KVM_DEVICE_PLUGIN", "false");
    }

    void start() {
        String jar = System.getProperty("agentvisor.driver.jar", "target/quarkus-app/quarkus-run.jar");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m"));
        cmd.addAll(io.agentvisor.testsupport.JarProcess.vertxCache());
        cmd.addAll(List.of("-jar", jar));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    void kill9() throws InterruptedException {
        Signals.kill9(process.pid());
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** The HTTP port Quarkus picked, from its latest start-up line. */
    int httpPort(Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = PORT.matcher(log());
            int port = -1;
            while (m.find()) {
                port = Integer.parseInt(m.group(1));
            }
            if (port > 0) {
                return port;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("driver did not start listening: " + log());
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        if (process != null) {
            Signals.terminate(process, Duration.ofSeconds(10));
        }
    }
}
