package io.agentvisor.bench;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.function.BooleanSupplier;

/**
 * Agentvisor as a user installs it, for the node benchmarks: the machine's real single-node cluster, the images
 * built by {@code scripts/images.sh} and loaded into the node, the chart installed by {@code bin/helm upgrade
 * --install}. The same approach as e2e's NodeSystem (bench cannot depend on e2e's test classes).
 */
final class NodeSystem {
    static final String NS = "agentvisor-system";
    static final String RELEASE = "agentvisor";
    static final String DRIVER_SELECTOR = "app.kubernetes.io/component=agent-driver";

    final KubeApiServer cluster;
    /** the shared boot files (the tiny guest) on the node, the chart's only imageDir */
    final Path images;

    private NodeSystem(KubeApiServer cluster, Path images) {
        this.cluster = cluster;
        this.images = images;
    }

    static NodeSystem install() {
        KubeApiServer cluster = KubeApiServer.sharedWithNode();
        cluster.loadImages("operator", "agent-driver", "vm-launcher");
        Path images = Repo.shortTempDir("avbimg");
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
        List<String> cmd = new ArrayList<>(List.of(Repo.root().resolve("bin/helm").toString(), "upgrade", "--install",
                RELEASE, Repo.root().resolve("helm/agentvisor").toString(), "-n", NS, "--create-namespace",
                "--kubeconfig", cluster.kubeconfig().toString()));
        cmd.addAll(List.of(values.split("\\s+")));
        for (String set : List.of("agentDriver.kubeletRootDir=" + cluster.kubeletRootDir(), "imageDirs[0].path=" + images,
                "agentDriver.kvm.probe=true")) {
            cmd.addAll(List.of("--set", set));
        }
        Cmd.run(cmd, Map.of(), 300).requireSuccess("bin/helm upgrade --install");
        s.awaitComponentsReady(Duration.ofMinutes(3));
        return s;
    }

    /** Both components' pods Ready (and none of them being deleted). */
    boolean componentsReady() {
        KubeApiServer.KubectlResult r = cluster.kubectl("-n", NS, "get", "pods", "-l", "app.kubernetes.io/instance=" + RELEASE,
                "-o", "jsonpath={range .items[*]}{.metadata.deletionTimestamp}{.status.conditions[?(@.type==\"Ready\")].status} {end}");
        return r.exitCode() == 0 && r.output().strip().equals("True True");
    }

    void awaitComponentsReady(Duration max) {
        until("operator and agent-driver pods Ready", max, this::componentsReady);
    }

    static void until(String what, Duration max, BooleanSupplier ok) {
        long t0 = System.nanoTime();
        while (!ok.getAsBoolean()) {
            if (Util.since(t0) > max.toSeconds()) {
                throw new IllegalStateException(what + ": not within " + max.toSeconds() + " s");
            }
            Util.sleep(250);
        }
    }

    /** kubectl as the cluster user; throws when kubectl fails. */
    String kubectl(String... args) {
        KubeApiServer.KubectlResult r = cluster.kubectl(args);
        if (r.exitCode() != 0) {
            throw new IllegalStateException("kubectl " + String.join(" ", args) + " failed: " + r.output());
        }
        return r.output();
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
            throw new IllegalStateException("kubectl get " + kind + " " + name + ": " + r.output());
        }
        try {
            return Kube.JSON.readTree(r.output());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The driver's pod on the node (the DaemonSet's, not being deleted), or null. */
    JsonNode driverPod() {
        try {
            for (JsonNode p : Kube.JSON.readTree(kubectl("-n", NS, "get", "pods", "-l", DRIVER_SELECTOR, "-o", "json"))
                    .path("items")) {
                if (!p.path("metadata").has("deletionTimestamp")) {
                    return p;
                }
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Pids (on this machine) of java processes whose command line contains the needle, from /proc. */
    static List<Long> javaPids(String jarNeedle) {
        List<Long> pids = new ArrayList<>();
        try (var dirs = Files.list(Path.of("/proc"))) {
            for (Path d : dirs.toList()) {
                String n = d.getFileName().toString();
                if (!n.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String cmdline = new String(Files.readAllBytes(d.resolve("cmdline")));
                    if (cmdline.startsWith("java\0") && cmdline.contains(jarNeedle)) {
                        pids.add(Long.parseLong(n));
                    }
                } catch (IOException e) {
                    // gone in between
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pids;
    }

    /** Removes what install() put on this machine besides the cluster (which stops with this JVM). */
    void uninstall() {
        cluster.kubectl("delete", "vm", "--all", "--all-namespaces", "--wait=true", "--timeout=150s");
        Repo.deleteRecursively(images);
    }
}
