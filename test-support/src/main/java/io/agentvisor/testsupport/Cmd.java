package io.agentvisor.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a command to completion with a deadline and returns its exit code and combined output. */
public final class Cmd {
    private Cmd() {
    }

    public record Result(int exitCode, String output) {
        public Result requireSuccess(String what) {
            if (exitCode != 0) {
                throw new IllegalStateException(what + " failed (exit " + exitCode + "): " + output);
            }
            return this;
        }
    }

    public static Result run(List<String> command, Map<String, String> env, int timeoutSeconds) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).directory(Repo.root().toFile());
        pb.environment().putAll(env);
        try {
            Process p = pb.start();
            // read on another thread so a chatty command cannot block on a full pipe past its deadline
            var out = new java.util.concurrent.CompletableFuture<String>();
            Thread reader = new Thread(() -> {
                try {
                    out.complete(new String(p.getInputStream().readAllBytes()));
                } catch (IOException e) {
                    out.complete("(output lost: " + e + ")");
                }
            }, "cmd-output");
            reader.setDaemon(true);
            reader.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                return new Result(124, "timed out after " + timeoutSeconds + " s: " + String.join(" ", command) + "\n"
                        + out.getNow(""));
            }
            return new Result(p.exitValue(), out.get(30, TimeUnit.SECONDS));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }
}
