package io.agentvisor.testsupport;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One real Kubernetes 1.20.2 per test JVM (built by {@code make deps}), on free ports, started through
 * {@code scripts/cluster.sh} (the same launcher as {@code make cluster} and {@code make run}) with the CRDs from
 * {@code crds/} applied. {@link #shared()} is the API alone (etcd, kube-apiserver, kube-controller-manager on
 * 127.0.0.1) for suites that run no pods; {@link #sharedWithNode()} adds a real node (scheduler, containerd,
 * kubelet, kube-proxy, CNI) inside a network namespace of its own. Stopped at JVM exit; if the JVM is killed,
 * the launcher's watchdog stops it and removes its state directory.
 */
public final class KubeApiServer {
    private static KubeApiServer shared;
    private static KubeApiServer sharedWithNode;

    private final Path dir;
    private final Path kubeconfig;
    private final String url;
    /** etcd client, etcd peer, kube-apiserver: kept so a restart comes back where clients expect it */
    private final int[] ports;
    private volatile KubernetesClient client;

    private final boolean node;

    private KubeApiServer(Path dir, int[] ports, boolean node) {
        this.dir = dir;
        this.node = node;
        this.kubeconfig = dir.resolve("kubeconfig");
        this.ports = ports.clone();
        this.url = "https://127.0.0.1:" + ports[2];
    }

    /** The control plane of this test run, started on first use. */
    public static synchronized KubeApiServer shared() {
        if (shared == null) {
            shared = start();
            Runtime.getRuntime().addShutdownHook(new Thread(shared::stop, "kube-apiserver-stop"));
        }
        return shared;
    }

    /**
     * The cluster of this test run with a real node (one per machine at a time), started on first use. Its node
     * is Ready and the {@code default} ServiceAccount exists when this returns.
     */
    public static synchronized KubeApiServer sharedWithNode() {
        if (sharedWithNode == null) {
            sharedWithNode = start(true);
            Runtime.getRuntime().addShutdownHook(new Thread(sharedWithNode::stop, "kube-node-stop"));
        }
        return sharedWithNode;
    }

    private static KubeApiServer start() {
        return start(false);
    }

    private static KubeApiServer start(boolean node) {
        Path dir = Repo.shortTempDir(node ? "avnode" : "avk8s");
        KubeApiServer server = new KubeApiServer(dir, freePorts(3), node);
        try {
            server.up();
        } catch (RuntimeException e) {
            server.stop();
            throw e;
        }
        return server;
    }

    private void up() {
        script(node ? "up --node" : "up", Map.of("ETCD_PORT", Integer.toString(ports[0]), "ETCD_PEER_PORT", Integer.toString(ports[1]),
                "APISERVER_PORT", Integer.toString(ports[2]), "WATCH_PID", Long.toString(ProcessHandle.current().pid()),
                "QUIET", "1"), true, 180);
    }

    /**
     * A real control-plane outage: stops kube-apiserver, etcd and the controller manager (SIGTERM, etcd's data
     * kept), leaves them down for {@code down}, then starts them again on the same ports with the same token.
     * Clients see refused connections meanwhile, then the same cluster (same objects, resourceVersions go on).
     */
    public void restart(java.time.Duration down) {
        script("down", Map.of("QUIET", "1"), false, 60);
        try {
            Thread.sleep(down.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        up();
    }

    private void script(String verb, Map<String, String> env, boolean purgeWhenDone, int timeoutSeconds) {
        List<String> cmd = new ArrayList<>(List.of("bash", Repo.root().resolve("scripts/cluster.sh").toString()));
        cmd.addAll(List.of(verb.split(" ")));
        cmd.add(dir.toString());
        if (purgeWhenDone) {
            cmd.add("--purge"); // down: delete the state dir; up: so does the watchdog when the JVM is gone
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(Path.of(dir + ".launcher.log").toFile()));
        pb.environment().putAll(env);
        try {
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("scripts/cluster.sh " + verb + " did not finish in " + timeoutSeconds
                        + " s: " + launcherLog());
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("scripts/cluster.sh " + verb + " failed: " + launcherLog());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private String launcherLog() {
        try {
            return Files.readString(Path.of(dir + ".launcher.log"));
        } catch (IOException e) {
            return "(no launcher log)";
        }
    }

    private static int[] freePorts(int n) {
        int[] ports = new int[n];
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                held.add(s);
                ports[i] = s.getLocalPort();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // released for the control plane to take
                }
            }
        }
        return ports;
    }

    /** A shared fabric8 client with admin rights on this control plane. */
    public synchronized KubernetesClient client() {
        if (client == null) {
            client = newClient();
        }
        return client;
    }

    /** A new client (e.g. for a component under test that must own and close its own). */
    public KubernetesClient newClient() {
        return new KubernetesClientBuilder().withConfig(config()).build();
    }

    public Config config() {
        try {
            return Config.fromKubeconfig(Files.readString(kubeconfig));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path kubeconfig() {
        return kubeconfig;
    }

    public String url() {
        return url;
    }

    /** The state directory of this cluster (kubeconfig, logs, the node's kubelet root directory). */
    public Path dir() {
        return dir;
    }

    /** The kubelet's root directory on this machine (the node's pods' volumes live under it). */
    public Path kubeletRootDir() {
        requireNode();
        return dir.resolve("kubelet");
    }

    /**
     * Builds what is missing of the named images ({@code scripts/images.sh}: pause, operator, agent-driver,
     * vm-launcher) and imports them into the node's containerd.
     */
    public void loadImages(String... names) {
        requireNode();
        List<String> cmd = new ArrayList<>(List.of("bash", Repo.root().resolve("scripts/images.sh").toString(), "load",
                dir.toString()));
        cmd.addAll(List.of(names));
        Cmd.run(cmd, Map.of("QUIET", "1"), 900).requireSuccess("scripts/images.sh load");
    }

    /** Runs a command inside the node's network namespace, where pod and Service addresses are reachable. */
    public Cmd.Result inNodeNetwork(int timeoutSeconds, String... command) {
        requireNode();
        List<String> cmd = new ArrayList<>(List.of("bash", Repo.root().resolve("scripts/cluster.sh").toString(),
                "nsexec", dir.toString()));
        cmd.addAll(List.of(command));
        return Cmd.run(cmd, Map.of(), timeoutSeconds);
    }

    /** containerd's own client on the node (namespace k8s.io), e.g. {@code ctr("images", "ls")}. */
    public Cmd.Result ctr(String... args) {
        requireNode();
        List<String> cmd = new ArrayList<>(List.of("bash", Repo.root().resolve("scripts/cluster.sh").toString(), "ctr",
                dir.toString()));
        cmd.addAll(List.of(args));
        return Cmd.run(cmd, Map.of(), 120).requireSuccess("ctr " + String.join(" ", args));
    }

    /** Kills one component of the cluster with SIGKILL (kubelet, containerd, kube-scheduler, ...): a fault. */
    public void killComponent(String component) {
        Cmd.run(List.of("bash", Repo.root().resolve("scripts/cluster.sh").toString(), "kill", dir.toString(), component),
                Map.of("QUIET", "1"), 30).requireSuccess("scripts/cluster.sh kill " + component);
    }

    /** Starts again whatever component of the cluster is not running (the launcher's {@code up} is idempotent). */
    public void heal() {
        up();
    }

    private void requireNode() {
        if (!node) {
            throw new IllegalStateException("this cluster has no node: use KubeApiServer.sharedWithNode()");
        }
    }

    /** Runs kubectl against this control plane; returns exit code and combined output. */
    public KubectlResult kubectl(String... args) {
        List<String> cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).directory(Repo.root().toFile()).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            return new KubectlResult(p.exitValue(), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public record KubectlResult(int exitCode, String output) {
    }

    private synchronized void stop() {
        if (client != null) {
            client.close();
        }
        try {
            script("down", Map.of("QUIET", "1"), true, 60);
        } catch (RuntimeException e) {
            System.err.println("stopping the test control plane: " + e.getMessage());
        }
        try {
            Files.deleteIfExists(Path.of(dir + ".launcher.log"));
        } catch (IOException ignored) {
            // best effort
        }
    }
}
