package io.agentvisor.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import io.agentvisor.testsupport.JarProcess;
import io.agentvisor.testsupport.KubeApiServer;
import io.agentvisor.testsupport.KubeApiServerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The packaged operator (target/quarkus-app/quarkus-run.jar) run as a user would, against a kubeconfig. */
@ExtendWith(KubeApiServerExtension.class)
class OperatorJarIT {
    static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");

    @Test
    void unreachableApiFailsFastWithOneClearLine(@TempDir Path dir) throws Exception {
        Path kubeconfig = dir.resolve("kubeconfig");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
                users: [{name: u, user: {token: nope}}]
                contexts: [{name: x, context: {cluster: c, user: u}}]
                current-context: x
                """);
        Instant start = Instant.now();
        Run run = run(kubeconfig, dir, Duration.ofSeconds(90));
        assertEquals(1, run.exitCode(), run.output());
        List<String> errors = run.output().lines().filter(l -> l.contains("ERROR")).toList();
        assertEquals(1, errors.size(), run.output());
        assertTrue(errors.get(0).contains("agentvisor-operator cannot start: cannot reach the Kubernetes API at "
                + "https://127.0.0.1:1/: Connection refused"), run.output());
        // start-up of the JVM included; generous for a loaded 2-core machine
        assertTrue(Duration.between(start, Instant.now()).toSeconds() < 60, "took too long:\n" + run.output());
    }

    @Test
    void anInvalidProductDefaultTimeoutFailsFastWithOneClearLine(@TempDir Path dir) throws Exception {
        // checked before the API: no cluster needed
        Run run = run(dir.resolve("no-kubeconfig"), dir, Duration.ofSeconds(90),
                Map.of("AGENTVISOR_DEFAULT_RESPONSE_TIMEOUT", "Forever", "QUARKUS_HTTP_PORT", "0"));
        assertEquals(1, run.exitCode(), run.output());
        List<String> errors = run.output().lines().filter(l -> l.contains("ERROR")).toList();
        assertEquals(List.of("agentvisor-operator cannot start: agentvisor.default-response-timeout: \"Forever\" "
                + "is not a timeout: use an integer >= -2 (seconds) or Block, Default, NoWait"),
                errors.stream().map(l -> l.substring(l.indexOf("agentvisor-operator"))).toList(), run.output());
    }

    @Test
    void badCredentialsNameTheProblem(KubeApiServer server, @TempDir Path dir) throws Exception {
        Path kubeconfig = dir.resolve("kubeconfig");
        Files.writeString(kubeconfig, Files.readString(server.kubeconfig())
                .replaceAll("token: \\S+", "token: not-the-token"));
        Run run = run(kubeconfig, dir, Duration.ofSeconds(90));
        assertEquals(1, run.exitCode(), run.output());
        assertTrue(run.output().contains("agentvisor-operator cannot start:"), run.output());
        assertTrue(run.output().contains("Unauthorized") || run.output().contains("401"), run.output());
    }

    /** Configured through the environment, as the Helm chart does; serves its probes and metrics. */
    @Test
    void startsItsControllersAgainstARealKubeconfig(KubeApiServer server, @TempDir Path dir) throws Exception {
        int port = freePort();
        try (JarProcess p = start(server.kubeconfig(), dir.resolve("out.log"), Map.of(
                "QUARKUS_HTTP_PORT", String.valueOf(port), "QUARKUS_MICROMETER_EXPORT_PROMETHEUS_PATH", "/metrics",
                // -1 is what the in-process operator of the other ITs applies too (Default): they must not fight
                "AGENTVISOR_DEFAULT_RESPONSE_TIMEOUT", "-1"))) {
            String out = p.awaitLog("both controllers started", Duration.ofSeconds(90),
                    o -> o.contains("'virtualmachine' controller started")
                            && o.contains("'guestagentpolicy' controller started"));
            assertTrue(p.isAlive(), out);
            assertTrue(out.contains("starting controllers"), out);
            assertTrue(out.contains("'virtualmachine' controller started"), out);
            assertTrue(out.contains("(product default responseTimeout -1)"), out);
            assertTrue(port != 8081);

            // QUARKUS_HTTP_PORT overrides quarkus.http.port=8081 of application.properties
            URL root = new URL("http://127.0.0.1:" + port + "/");
            JsonNode ready = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions().until(() -> Http.json(Http.get(root, "/q/health/ready")),
                            r -> "UP".equals(r.path("status").asText()));
            assertEquals("started", Http.check(ready, OperatorReadiness.NAME).path("data").path("controllers")
                    .asText(), ready.toString());
            assertEquals(200, Http.get(root, "/q/health/live").status());
            Http.Response metrics = Http.get(root, "/metrics");
            assertEquals(200, metrics.status(), metrics.body());
            Http.sample(metrics.body(), "agentvisor_operator_writes_total{kind=\"VirtualMachine\",target=\"status\"}");
            // the chart's QUARKUS_MICROMETER_EXPORT_PROMETHEUS_PATH matches the path fixed at build time
            assertFalse(p.output().contains("Build time property cannot be changed"), p.output());
        }
    }

    record Run(int exitCode, String output) {
    }

    private static Run run(Path kubeconfig, Path dir, Duration timeout) throws IOException, InterruptedException {
        return run(kubeconfig, dir, timeout, Map.of("QUARKUS_HTTP_PORT", "0"));
    }

    private static Run run(Path kubeconfig, Path dir, Duration timeout, Map<String, String> env)
            throws IOException, InterruptedException {
        try (JarProcess p = start(kubeconfig, dir.resolve("out.log"), env)) {
            int exit = p.awaitExit(timeout);
            return new Run(exit, p.output());
        }
    }

    private static JarProcess start(Path kubeconfig, Path log, Map<String, String> env) {
        Map<String, String> all = new HashMap<>(env);
        all.put("KUBECONFIG", kubeconfig.toString());
        return JarProcess.start(JAR, log, all);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
