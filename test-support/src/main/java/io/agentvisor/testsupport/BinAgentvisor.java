package io.agentvisor.testsupport;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code bin/agentvisor} as a user runs it, from a test: its resident CLI JVMs live in this test module's
 * {@code target/cli-daemons} (not the user's own directory) and are stopped when the test JVM exits.
 */
public final class BinAgentvisor {
    private static final AtomicBoolean TRACKED = new AtomicBoolean();

    private BinAgentvisor() {
    }

    /** Where this test JVM's CLI daemons keep their sockets (short: a unix socket path has at most 107 bytes). */
    public static Path runtimeDir() {
        return Path.of("target", "cli-daemons").toAbsolutePath();
    }

    /** Runs it with these extra environment variables (on top of the test JVM's own). */
    public static Cmd.Result run(Map<String, String> env, int timeoutSeconds, String... args) {
        if (TRACKED.compareAndSet(false, true)) {
            Leftovers.track(BinAgentvisor::stopDaemons);
        }
        List<String> command = new ArrayList<>(List.of(Repo.root().resolve("bin/agentvisor").toString()));
        command.addAll(List.of(args));
        Map<String, String> all = new HashMap<>(env);
        all.putIfAbsent("AGENTVISOR_CLI_RUNTIME_DIR", runtimeDir().toString());
        return Cmd.run(command, all, timeoutSeconds);
    }

    /** {@code bin/agentvisor daemon stop} for this test JVM's daemons. */
    public static void stopDaemons() {
        Cmd.run(List.of(Repo.root().resolve("bin/agentvisor").toString(), "daemon", "stop"),
                Map.of("AGENTVISOR_CLI_RUNTIME_DIR", runtimeDir().toString()), 60).requireSuccess("agentvisor daemon stop");
    }
}
