package io.agentvisor.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.agent.ScriptedAgent;
import io.agentvisor.api.v1alpha1.AgentPolicyStatus;
import io.agentvisor.api.v1alpha1.Phase;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.agentvisor.testsupport.HostQemuGa;
import io.agentvisor.testsupport.KubeApiServer;
import io.agentvisor.testsupport.KubeApiServerExtension;
import io.agentvisor.testsupport.Repo;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * bin/agentvisor through its resident JVM (the native client and {@link CliDaemon}) against a real kube-apiserver
 * and a real qemu-ga: every verb prints and exits exactly as a fresh JVM does, one daemon serves exactly one
 * working directory and environment, concurrent calls keep their own output, a caller that goes away cancels its
 * call, and daemons end when idle, when stopped or when killed (the next call starts a new one).
 */
@ExtendWith(KubeApiServerExtension.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CliDaemonIT {
    private static final String NS = "cli-daemon";
    private static final Path DIR = Path.of("target", "cli-daemons-it").toAbsolutePath();
    private static KubeApiServer server;
    private static HostQemuGa ga;

    @BeforeAll
    static void seed(KubeApiServer s) {
        server = s;
        KubernetesClient client = s.client();
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
                .serverSideApply();
        VirtualMachine vm = Cli.newVm(NS, "demo");
        vm = client.resource(vm).create();
        VirtualMachineStatus st = new VirtualMachineStatus();
        st.setPhase(Phase.Running);
        st.setNodeName("node-a");
        AgentPolicyStatus ap = new AgentPolicyStatus();
        ap.setResponseTimeout(3);
        ap.setSource("GuestAgentPolicy/" + NS + "/web");
        st.setAgentPolicy(ap);
        vm.setStatus(st);
        client.resource(vm).updateStatus();
        ga = HostQemuGa.start("-b", "guest-shutdown");
    }

    @AfterEach
    void stopDaemons() throws IOException {
        Call stop = call(Repo.root(), Map.of(), "daemon", "stop");
        assertEquals(0, stop.exit(), stop.output());
        try (Stream<Path> left = Files.exists(DIR) ? Files.list(DIR) : Stream.empty()) {
            assertEquals(List.of(), left.toList(), "every daemon's files are removed");
        }
    }

    @AfterAll
    static void stopAgent() {
        if (ga != null) {
            ga.close();
        }
    }

    record Call(int exit, String output) {
        /** Ages ("31s", "2m") move between two calls: everything else must be the same. */
        String withoutAges() {
            return output.replaceAll("\\b\\d+[smhd]\\b", "<age>");
        }
    }

    /** bin/agentvisor in this directory with the test JVM's environment plus these variables. */
    private static Call call(Path cwd, Map<String, String> env, String... args) {
        try {
            Process p = start(cwd, env, args);
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "bin/agentvisor " + String.join(" ", args));
            return new Call(p.exitValue(), out);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Process start(Path cwd, Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Repo.root().resolve("bin/agentvisor").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true);
        pb.environment().put("AGENTVISOR_CLI_RUNTIME_DIR", DIR.toString());
        pb.environment().put("KUBECONFIG", server.kubeconfig().toString());
        pb.environment().putAll(env);
        return pb.start();
    }

    private static List<Long> daemonPids() throws IOException {
        if (!Files.isDirectory(DIR)) {
            return List.of();
        }
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> files = Files.list(DIR)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".pid")).toList()) {
                pids.add(Long.parseLong(Files.readString(f).strip()));
            }
        }
        return pids;
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    @Test
    void everyVerbPrintsAndExitsAsAFreshJvmDoes() throws IOException {
        String ping = "{\"execute\":\"guest-ping\"}";
        String sock = ga.socket().toString();
        List<List<String>> calls = List.of(
                List.of("--version"),
                List.of("--help"),
                List.of("status", "--help"),
                List.of("status", "-n", NS),
                List.of("status", "-n", "no-such-namespace"),
                List.of("guestinfo", "demo", "-n", NS),
                List.of("guestinfo", "demo", "-n", NS, "-o", "json"),
                List.of("guest-agent-timeout", "demo", "-n", NS),
                List.of("guest-agent-timeout", "nope", "-n", NS),
                List.of("guestinfo"),
                List.of("status", "--bogus"),
                List.of("agent-command", "--socket", sock, ping),
                List.of("agent-command", "--socket", sock, "{\"execute\":\"guest-get-host-name\"}"),
                List.of("agent-command", "--socket", sock, "not json"),
                List.of("agent-command", "--socket", DIR.resolve("none.sock").toString(), ping));
        Map<String, String> direct = Map.of("AGENTVISOR_CLI_DAEMON", "off");
        Path cwd = Repo.root();
        call(cwd, Map.of(), "--version"); // starts this context's daemon
        List<Long> daemons = daemonPids();
        assertEquals(1, daemons.size(), "one daemon for this context: " + daemons);
        for (List<String> args : calls) {
            String[] a = args.toArray(String[]::new);
            Call viaDaemon = call(cwd, Map.of(), a);
            Call fresh = call(cwd, direct, a);
            assertEquals(fresh.exit(), viaDaemon.exit(), args + ": " + fresh + " / " + viaDaemon);
            assertEquals(fresh.withoutAges(), viaDaemon.withoutAges(), args.toString());
        }
        assertEquals(daemons, daemonPids(), "the same daemon served every call");
        assertTrue(alive(daemons.get(0)));
        // the exit codes cover each kind: ok, usage, agent error, cluster error
        assertEquals(5, call(cwd, Map.of(), "guest-agent-timeout", "nope", "-n", NS).exit());
        assertEquals(2, call(cwd, Map.of(), "guestinfo").exit());
        assertEquals(4, call(cwd, Map.of(), "agent-command", "--socket", DIR.resolve("none.sock").toString(), ping)
                .exit());
    }

    @Test
    void oneDaemonServesOneWorkingDirectoryAndEnvironment() throws IOException {
        Path a = Files.createDirectories(Path.of("target", "cli-daemon-cwd", "a").toAbsolutePath());
        Path b = Files.createDirectories(Path.of("target", "cli-daemon-cwd", "b").toAbsolutePath());
        Files.copy(server.kubeconfig(), a.resolve("kc"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(b.resolve("kc"), Files.readString(server.kubeconfig())
                .replaceAll("server: https://[^\\s]+", "server: https://127.0.0.1:1"));
        Map<String, String> relative = Map.of("KUBECONFIG", "kc");

        Call inA = call(a, relative, "status", "-n", NS);
        assertEquals(0, inA.exit(), inA.output());
        assertTrue(inA.output().contains("demo"), inA.output());
        Call inB = call(b, relative, "status", "-n", NS);
        assertEquals(5, inB.exit(), "a relative KUBECONFIG is the caller's directory's: " + inB.output());
        assertEquals(call(b, Map.of("KUBECONFIG", "kc", "AGENTVISOR_CLI_DAEMON", "off"), "status", "-n", NS)
                .output(), inB.output());
        Call otherEnv = call(a, Map.of("KUBECONFIG", "kc", "AGENTVISOR_TEST_MARK", "1"), "status", "-n", NS);
        assertEquals(0, otherEnv.exit(), otherEnv.output());
        List<Long> three = daemonPids();
        assertEquals(3, three.size(), "one daemon per directory and environment: " + three);

        assertEquals(0, call(a, relative, "status", "-n", NS).exit());
        assertEquals(three.stream().sorted().toList(), daemonPids().stream().sorted().toList(),
                "a known context reuses its daemon");
        // the kubeconfig is read on every call, as kubectl reads it: an edit is seen by the same daemon's next call
        Files.copy(b.resolve("kc"), a.resolve("kc"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertEquals(5, call(a, relative, "status", "-n", NS).exit(), "the edited kubeconfig's unreachable server");
        Files.copy(server.kubeconfig(), a.resolve("kc"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertEquals(0, call(a, relative, "status", "-n", NS).exit());
        assertEquals(three.stream().sorted().toList(), daemonPids().stream().sorted().toList());
        Call status = call(a, Map.of(), "daemon", "status");
        assertEquals(0, status.exit(), status.output());
        assertEquals(1 + 3, status.output().strip().lines().count(), status.output());
        assertTrue(status.output().contains(a.toString()) && status.output().contains(b.toString()), status.output());
    }

    @Test
    void concurrentCallsEachGetTheirOwnOutput() throws Exception {
        Path cwd = Repo.root();
        call(cwd, Map.of(), "--version");
        List<CompletableFuture<Call>> json = new ArrayList<>();
        List<CompletableFuture<Call>> agent = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            json.add(CompletableFuture.supplyAsync(() -> call(cwd, Map.of(), "guestinfo", "demo", "-n", NS, "-o",
                    "json")));
            agent.add(CompletableFuture.supplyAsync(() -> call(cwd, Map.of(), "agent-command", "--socket",
                    ga.socket().toString(), "{\"execute\":\"guest-get-host-name\"}")));
        }
        Call expectedJson = call(cwd, Map.of("AGENTVISOR_CLI_DAEMON", "off"), "guestinfo", "demo", "-n", NS, "-o",
                "json");
        for (CompletableFuture<Call> f : json) {
            Call c = f.get(2, TimeUnit.MINUTES);
            assertEquals(0, c.exit(), c.output());
            assertEquals(expectedJson.withoutAges(), c.withoutAges());
        }
        for (CompletableFuture<Call> f : agent) {
            Call c = f.get(2, TimeUnit.MINUTES);
            assertEquals(0, c.exit(), c.output());
            assertTrue(c.output().matches("\\{\"return\":\\{\"host-name\":\"[^\"]+\"}}\\s*"), c.output());
        }
        assertEquals(1, daemonPids().size());
    }

    @Test
    void aCallerThatGoesAwayCancelsItsCallAndAnIdleDaemonEnds() throws Exception {
        Map<String, String> idle = Map.of("AGENTVISOR_CLI_DAEMON_IDLE", "2");
        // an agent that syncs and then never answers: with -2 (block) only the caller going away ends this call
        try (ScriptedAgent silent = ScriptedAgent.start((c, cmd, req) -> {
            if (!cmd.equals("guest-ping")) {
                c.standard(cmd, req);
            }
        })) {
            Process caller = start(Repo.root(), idle, "agent-command", "--socket", silent.socket().toString(),
                    "--timeout", "Block", "{\"execute\":\"guest-ping\"}");
            await("the daemon runs the call").atMost(Duration.ofMinutes(1)).until(() -> daemonPids().size() == 1
                    && callThreads(daemonPids().get(0)) > 0 && silent.received().stream()
                            .anyMatch(r -> r.contains("guest-ping")));
            long pid = daemonPids().get(0);
            caller.destroy();
            assertTrue(caller.waitFor(30, TimeUnit.SECONDS));
            await("the cancelled call ends and the idle daemon exits").atMost(Duration.ofMinutes(1))
                    .until(() -> !alive(pid));
            try (Stream<Path> left = Files.list(DIR)) {
                assertEquals(List.of(), left.toList(), "an idle daemon removes its files");
            }
        }
    }

    /** Threads of a daemon running a call ("cli-call-N", as the kernel shows Java's thread names). */
    private static long callThreads(long pid) throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            return tasks.filter(t -> {
                try {
                    String name = Files.readString(t.resolve("comm")).strip();
                    return name.startsWith("cli-call-");
                } catch (IOException e) {
                    return false;
                }
            }).count();
        }
    }

    @Test
    void aKilledDaemonIsReplacedByTheNextCall() throws Exception {
        Path cwd = Repo.root();
        assertEquals(0, call(cwd, Map.of(), "--version").exit());
        long first = daemonPids().get(0);
        ProcessHandle.of(first).ifPresent(ProcessHandle::destroyForcibly);
        await().atMost(Duration.ofSeconds(30)).until(() -> !alive(first));
        Call again = call(cwd, Map.of(), "agent-command", "--socket", ga.socket().toString(),
                "{\"execute\":\"guest-ping\"}");
        assertEquals(0, again.exit(), again.output());
        assertEquals("{\"return\":{}}", again.output().strip());
        List<Long> now = daemonPids();
        assertEquals(1, now.size(), now.toString());
        assertNotEquals(first, now.get(0));
        assertTrue(alive(now.get(0)));
    }

    @Test
    void aRuntimeDirectoryOthersCanOpenIsNotUsed() throws Exception {
        Files.createDirectories(DIR);
        Files.setPosixFilePermissions(DIR, PosixFilePermissions.fromString("rwxr-xr-x"));
        try {
            Call c = call(Repo.root(), Map.of(), "agent-command", "--socket", ga.socket().toString(),
                    "{\"execute\":\"guest-ping\"}");
            assertEquals(0, c.exit(), c.output());
            assertEquals(List.of(), daemonPids(), "no daemon behind a directory other users can open");
        } finally {
            Files.setPosixFilePermissions(DIR, PosixFilePermissions.fromString("rwx------"));
        }
        Optional<Long> none = daemonPids().stream().findAny();
        assertFalse(none.isPresent());
    }

    @Test
    void daemonStopEndsThemAll() throws IOException {
        Map<String, String> one = new HashMap<>();
        for (int i = 0; i < 2; i++) {
            one.put("AGENTVISOR_TEST_MARK", Integer.toString(i));
            assertEquals(0, call(Repo.root(), one, "--version").exit());
        }
        List<Long> pids = daemonPids();
        assertEquals(2, pids.size());
        Call stop = call(Repo.root(), Map.of(), "daemon", "stop");
        assertEquals("stopped 2 CLI daemons", stop.output().strip());
        pids.forEach(p -> assertFalse(alive(p), "daemon " + p + " stopped"));
        assertTrue(call(Repo.root(), Map.of(), "daemon", "status").output().startsWith("no CLI daemon running"));
    }
}
