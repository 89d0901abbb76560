package io.agentvisor.driver.it;

import io.agentvisor.testsupport.JarProcess;
import io.agentvisor.testsupport.KubeApiServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The packaged driver (target/quarkus-app/quarkus-run.jar) as a real process ({@link JarProcess}), on a random HTTP
 * port; it can be started again after {@link #kill9()}, with the same settings and log.
 */
final class DriverProcess implements AutoCloseable {
    private final Path log;
    private final Map<String, String> env;
    private JarProcess process;

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
        process = JarProcess.start(Path.of(System.getProperty("agentvisor.driver.jar",
                "target/quarkus-app/quarkus-run.jar")), log, env, "-Xmx256m");
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    void kill9() throws InterruptedException {
        process.kill9();
    }

    /** The HTTP port Quarkus picked, from its latest start-up line. */
    int httpPort(Duration max) {
        return process.httpPort(max);
    }

    /** Everything the driver printed, over all its starts. */
    String log() {
        return process == null ? "" : process.output();
    }

    @Override
    public void close() {
        if (process != null) {
            process.close();
        }
    }
}
