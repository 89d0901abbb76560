package io.agentvisor.e2e;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentvisor.testsupport.Cmd;
import io.agentvisor.testsupport.KubeApiServer;
import io.agentvisor.testsupport.Repo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Agentvisor as a user installs it: the real single-node cluster of this test run, the images built by
 * {@code scripts/images.sh} and loaded into the node, and the chart installed by {@code bin/helm upgrade
 * --install} with the chart's RBAC (the operator and the driver act only through their own service accounts).
 * The suite itself plays the cluster user (admin kubeconfig), as kubectl would.
 *
 * <p>One installation per test JVM, shared by the test classes (each creates and deletes its own VMs and
 * policies); the boot files it copied are removed when the JVM exits, like the cluster itself.
 */
final class NodeSystem {
    static final String NS = "agentvisor-system";
    static final String RELEASE = "agentvisor";
    static final ObjectMapper JSON = new ObjectMapper();

    final KubeApiServer cluster;
    /** the shared boot files (the tiny guest) on the node, the chart's only imageDir */
    final Path images;
    private final List<String> imageSets = new ArrayList<>();

    private NodeSystem(KubeApiServer cluster, Path images) {
        this.cluster = cluster;
        this.images = images;
    }

    private static NodeSystem shared;

    /** The installation of this test JVM (installed on first use), with the operator and the driver Ready. */
    static synchronized NodeSystem install() {
        if (shared == null) {
            shared = installOnce();
            Path images = shared.images;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> Repo.deleteRecursively(images), "e2e-images-rm"));
        }
        shared.awaitComponentsReady();
        return shared;
    }

    private static NodeSystem installOnce() {
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
        NodeSystem s = new NodeSystem(cluster, images);
        String values = Cmd.run(List.of("bash", Repo.root().resolve("scripts/images.sh").toString(), "helm-values"),
                Map.of(), 60).requireSuccess("images.sh helm-values").output().strip();
        s.imageSets.addAll(List.of(values.split("\\s+")));
        s.helmUpgrade();
        return s;
    }

    /** {@code bin/helm upgrade --install} with this system's values plus {@code extraSets} ("key=value"). */
    void helmUpgrade(String... extraSets) {
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

    void awaitComponentsReady() {
        await("operator and agent-driver pods Ready").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    String out = kubectl("-n", NS, "get", "pods", "-l", "app.kubernetes.io/instance=" + RELEASE, "-o",
                            "jsonpath={range .items[*]}{.metadata.deletionTimestamp}{.status.conditions[?(@.type==\"Ready\")].status} {end}");
                    return out.strip().equals("True True");
                });
    }

    /** kubectl as the cluster user; fails the test when kubectl fails. */
    String kubectl(String... args) {
        KubeApiServer.KubectlResult r = cluster.kubectl(args);
        if (r.exitCode() != 0) {
            throw new AssertionError("kubectl " + String.join(" ", args) + " failed: " + r.output());
        }
        return r.output();
    }

    KubeApiServer.KubectlResult kubectlResult(String... args) {
        return cluster.kubectl(args);
    }

    /** kubectl apply of a manifest given as text. */
    void apply(String yaml) {
        try {
            Path f = Files.createTempFile("av-e2e", ".yaml");
            try {
                Files.writeString(f, yaml);
                kubectl("apply", "-f", f.toString());
            } finally {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The object as JSON, or null when it does not exist. */
    JsonNode get(String kind, String name, String... nsArgs) {
        List<String> args = new ArrayList<>(List.of("get", kind, name, "-o", "json"));
        args.addAll(List.of(nsArgs));
        KubeApiServer.KubectlResult r = cluster.kubectl(args.toArray(String[]::new));
        if (r.exitCode() != 0) {
            if (r.output().contains("NotFound")) {
                return null;
            }
            throw new AssertionError("kubectl get " + kind + " " + name + ": " + r.output());
        }
        try {
            return JSON.readTree(r.output());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    JsonNode vm(String name) {
        return get("virtualmachine", name);
    }

    JsonNode vmPod(String vm) {
        return get("pod", "vm-" + vm);
    }

    /** The condition of that type on an object, or a missing node. */
    static JsonNode condition(JsonNode obj, String type) {
        if (obj != null) {
            for (JsonNode c : obj.path("status").path("conditions")) {
                if (type.equals(c.path("type").asText())) {
                    return c;
                }
            }
        }
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    /** The pid (on this machine) of kube-apiserver, as the cluster's launcher recorded it. */
    long apiserverPid() {
        try {
            return Long.parseLong(Files.readString(cluster.dir().resolve("kube-apiserver.pid")).strip());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
