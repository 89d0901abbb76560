package io.agentvisor.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.testsupport.Repo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * helm/images/agent-driver-supervise.sh, the driver image's entrypoint under tini, with a stand-in `java` on PATH:
 * a JVM killed with SIGKILL is restarted (the pod and its QEMUs live on); SIGTERM is handed to the JVM, whose
 * graceful exit ends the container.
 */
class DriverSupervisorScriptTest {
    @TempDir
    Path tmp;

    @Test
    void restartsAKilledDriverAndForwardsSigtermForAGracefulStop() throws Exception {
        Path log = tmp.resolve("log");
        Path fakeJava = tmp.resolve("java");
        Files.writeString(fakeJava, """
                #!/bin/sh
                echo "start $$ $*" >> "%1$s"
                trap 'echo "term $$" >> "%1$s"; exit 0' TERM
                while :; do sleep 0.1; done
                """.formatted(log));
        Files.setPosixFilePermissions(fakeJava, PosixFilePermissions.fromString("rwx------"));
        ProcessBuilder pb = new ProcessBuilder("sh", Repo.root().resolve("helm/images/agent-driver-supervise.sh").toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("out").toFile());
        pb.environment().put("PATH", tmp + ":" + System.getenv("PATH"));
        pb.environment().put("JAVA_OPTS", "-Xmx64m");
        Process supervisor = pb.start();
        try {
            await(() -> lines(log).size() == 1);
            String first = lines(log).get(0);
            assertEquals("-Xmx64m -jar /deployments/quarkus-run.jar", first.substring(first.indexOf(' ', 6) + 1));
            long firstPid = Long.parseLong(first.split(" ")[1]);
            ProcessHandle.of(firstPid).orElseThrow().destroyForcibly();

            await(() -> lines(log).size() == 2);
            assertTrue(supervisor.isAlive(), "a crashed driver does not end the container");
            long secondPid = Long.parseLong(lines(log).get(1).split(" ")[1]);
            assertTrue(secondPid != firstPid);
            assertTrue(Files.readString(tmp.resolve("out")).contains("exited with status 137; restarting in 1s"));

            new ProcessBuilder("kill", "-TERM", Long.toString(supervisor.pid())).start().waitFor();
            assertTrue(supervisor.waitFor(10, TimeUnit.SECONDS), "SIGTERM ends the supervisor");
            assertEquals(0, supervisor.exitValue(), "the driver's exit status");
            assertEquals("term " + secondPid, lines(log).get(2));
            assertEquals(3, lines(log).size(), "not restarted after SIGTERM");
        } finally {
            supervisor.descendants().forEach(ProcessHandle::destroyForcibly);
            supervisor.destroyForcibly();
        }
    }

    private static List<String> lines(Path p) {
        try {
            return Files.exists(p) ? Files.readAllLines(p) : List.of();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(50);
        }
    }
}
