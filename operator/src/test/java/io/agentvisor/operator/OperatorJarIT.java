package io.agentvisor.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
    void badCredentialsNameTheProblem(KubeApiServer server, @TempDir Path dir) throws Exception {
        Path kubeconfig = dir.resolve("kubeconfig");
        Files.writeString(kubeconfig, Files.readString(server.kubeconfig())
                .replaceAll("token: \\S+", "token: not-the-token"));
        Run run = run(kubeconfig, dir, Duration.ofSeconds(90));
        assertEquals(1, run.exitCode(), run.output());
        assertTrue(run.output().contains("agentvisor-operator cannot start:"), run.output());
        assertTrue(run.output().contains("Unauthorized") || run.output().contains("401"), run.output());
    }

    @Test
    void startsItsControllersAgainstARealKubeconfig(KubeApiServer server, @TempDir Path dir) throws Exception {
        Path log = dir.resolve("out.log");
        Process p = start(server.kubeconfig(), log);
        try {
            Instant deadline = Instant.now().plusSeconds(90);
            String out = "";
            while (Instant.now().isBefore(deadline) && p.isAlive()) {
                out = Files.readString(log);
                if (out.contains("'virtualmachine' controller started")
                        && out.contains("'guestagentpolicy' controller started")) {
                    break;
                }
                Thread.sleep(500);
            }
            assertTrue(p.isAlive(), out);
            assertTrue(out.contains("starting controllers"), out);
            assertTrue(out.contains("'virtualmachine' controller started"), out);
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    record Run(int exitCode, String output) {
    }

    private static Run run(Path kubeconfig, Path dir, Duration timeout) throws IOException, InterruptedException {
        Path log = dir.resolve("out.log");
        Process p = start(kubeconfig, log);
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the operator did not exit:\n" + Files.readString(log));
        }
        return new Run(p.exitValue(), Files.readString(log));
    }

    private static Process start(Path kubeconfig, Path log) throws IOException {
        assertTrue(Files.exists(JAR), JAR + " missing: package the operator first");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dquarkus.http.port=0", "-jar", JAR.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("KUBECONFIG", kubeconfig.toString());
        return pb.start();
    }
}
