package io.agentvisor.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Agentvisor as a user installs it, for the end-to-end tests and the node benchmarks: the machine's real
 * single-node cluster ({@link KubeApiServer#sharedWithNode()}), the images built by {@code scripts/images.sh} and
 * loaded into the node, the tiny guest's boot files in the chart's one image directory, and the chart installed by
 * {@code bin/helm upgrade --install} with the chart's RBAC (the operator and the driver act only through their own
 * service accounts). The caller plays the cluster user (admin kubeconfig), as kubectl would.
 *
 * <p>One installation per JVM ({@link #install()}); the boot files it copied are removed when the JVM exits, like
 * the cluster itself.
 */
public final class ChartOnNode {
    public static final String NS = "agentvisor-system";
    public static final String RELEASE = "agentvisor";
    public static final String DRIVER_SELECTOR = "app.kubernetes.io/component=agent-driver";
    public static final ObjectMapper JSON = new ObjectMapper();

    public final KubeApiServer cluster;
    /** the shared boot files (the tiny guest) on the node, the chart's only imageDir */
    public final Path images;
    private final List<String> imageSets = new ArrayList<>();

    private ChartOnNode(KubeApiServer cluster, Path images) {
        this.cluster = cluster;
        this.images = images;
    }

    private static ChartOnNode shared;

    /** The installation of this JVM (installed on first use), with the operator and the driver Ready. */
    public static synchronized ChartOnNode install() {
        if (shared == null) {
            shared = installOnce();
            Path images = shared.images;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> Repo.deleteRecursively(images), "chart-images-rm"));
        }
        shared.awaitComponentsReady(Duration.ofMinutes(3));
        return shared;
    }

    private static ChartOnNode installOnce() {
        KubeApiServer cluster = KubeApiServer.sharedWithNode();
        cluster.loadImages("operator", "agent-driver", "vm-launcher");
        Path images = Repo.shortTempDir("avimg");
        try {
            Path guest = Repo.cache().resolve("guest");
            Files.createDirectories(images.resolve("tiny-guest"));
            for (String f : List.of("vmlinuz", "initramfs.cpio.gz")) {
                Files.copy(guest.resolve(f), images.resolve("tiny-guest").resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
            // the VM pods' user (65534) reads them through a read-only hostPath
            images.toFile().setExecutable(true, false);
            images.toFile().setReadable(true, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChartOnNode s = new ChartOnNode(cluster, images);
        String values = Cmd.run(List.of("bash", Repo.root().resolve("scripts/images.sh").toString(), "helm-values"),
                Map.of(), 60).requireSuccess("images.sh helm-values").output().strip();
        s.imageSets.addAll(List.of(values.split("\\s+")));
        s.helmUpgrade();
        return s;
    }

    /** {@code bin/helm upgrade --install} with this installation's values plus {@code extraSets} ("key=value"). */
    public void helmUpgrade(String... extraSets) {
        List<String> cmd = new ArrayList<>(List.of(Repo.root().resolve("bin/helm").toString(), "upgrade", "--install",
                RELEASE, Repo.root().resolve("helm/agentvisor").toString(), "-n", NS, "--create-namespace",
                "--kubeconfig", cluster.kubeconfig().toString()));
        cmd.addAll(imageSets);
        for (String set : List.of("agentDriver.kubeletRootDir=" + cluster.kubeletRootDir(),
                "imageDirs[0].path=" + images, "agentDriver.kvm.probe=true")) {
            cmd.addAll(List.of("--set", set));
        }
        for (String set : extraSets) {
            cmd.addAll(List.of("--set", set));
        }
        Cmd.run(cmd, Map.of(), 300).requireSuccess("bin/helm upgrade --install");
    }

    /** Both components' pods Ready (and none of them being deleted). */
    public boolean componentsReady() {
        KubeApiServer.KubectlResult r = cluster.kubectl("-n", NS, "get", "pods", "-l", "app.kubernetes.io/instance=" + RELEASE,
                "-o", "jsonpath={range .items[*]}{.metadata.deletionTimestamp}{.status.conditions[?(@.type==\"Ready\")].status} {end}");
        return r.exitCode() == 0 && r.output().strip().equals("True True");
    }

    public void awaitComponentsReady(Duration max) {
        Await.until("operator and agent-driver pods Ready", max, this::componentsReady);
    }

    /** kubectl as the cluster user; fails (AssertionError) when kubectl fails. */
    public String kubectl(String... args) {
        KubeApiServer.KubectlResult r = cluster.kubectl(args);
        if (r.exitCode() != 0) {
            throw new AssertionError("kubectl " + String.join(" ", args) + " failed: " + r.output());
        }
        return r.output();
    }

    public KubeApiServer.KubectlResult kubectlResult(String... args) {
        return cluster.kubectl(args);
    }

    /** kubectl apply of a manifest given as text. */
    public void apply(String yaml) {
        withManifest(yaml, f -> kubectl("apply", "-f", f));
    }

    /** kubectl create of a manifest given as text (generateName works); prints "kind/name". */
    public String createFromText(String yaml) {
        return withManifest(yaml, f -> kubectl("create", "-o", "name", "-f", f));
    }

    /** kubectl create of a manifest given as text with extra arguments; its output, whether it failed or not. */
    public String createFromTextResult(String yaml, String... extra) {
        return withManifest(yaml, f -> {
            List<String> args = new ArrayList<>(List.of("create", "-f", f));
            args.addAll(List.of(extra));
            return cluster.kubectl(args.toArray(String[]::new)).output();
        });
    }

    private static String withManifest(String yaml, Function<String, String> kubectl) {
        try {
            Path f = Files.createTempFile("av-chart", ".yaml");
            try {
                Files.writeString(f, yaml);
                return kubectl.apply(f.toString());
            } finally {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The object as JSON, or null when it does not exist. */
    public JsonNode get(String kind, String name, String... nsArgs) {
        List<String> args = new ArrayList<>(List.of("get", kind, name, "-o", "json"));
        args.addAll(List.of(nsArgs));
        KubeApiServer.KubectlResult r = cluster.kubectl(args.toArray(String[]::new));
        if (r.exitCode() != 0) {
            if (r.output().contains("NotFound")) {
                return null;
            }
            throw new AssertionError("kubectl get " + kind + " " + name + ": " + r.output());
        }
        return parse(r.output());
    }

    /** All objects of a kind in the default namespace, as kubectl's List JSON. */
    public JsonNode getList(String kind, String... nsArgs) {
        List<String> args = new ArrayList<>(List.of("get", kind, "-o", "json"));
        args.addAll(List.of(nsArgs));
        return parse(kubectl(args.toArray(String[]::new)));
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public JsonNode vm(String name) {
        return get("virtualmachine", name);
    }

    public JsonNode vmPod(String vm) {
        return get("pod", "vm-" + vm);
    }

    /** The driver's pod on the node (the DaemonSet's, not being deleted), or null. */
    public JsonNode driverPod() {
        for (JsonNode p : getList("pods", "-n", NS, "-l", DRIVER_SELECTOR).path("items")) {
            if (!p.path("metadata").has("deletionTimestamp")) {
                return p;
            }
        }
        return null;
    }

    /** The condition of that type on an object, or a missing node. */
    public static JsonNode condition(JsonNode obj, String type) {
        if (obj != null) {
            for (JsonNode c : obj.path("status").path("conditions")) {
                if (type.equals(c.path("type").asText())) {
                    return c;
                }
            }
        }
        return MissingNode.getInstance();
    }

    /** The pid (on this machine) of kube-apiserver, as the cluster's launcher recorded it. */
    public long apiserverPid() {
        try {
            return Long.parseLong(Files.readString(cluster.dir().resolve("kube-apiserver.pid")).strip());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes every VM (their guests stop gracefully) and waits until they are gone. */
    public void deleteAllVms() {
        cluster.kubectl("delete", "vm", "--all", "--all-namespaces", "--wait=true", "--timeout=150s");
    }
}
