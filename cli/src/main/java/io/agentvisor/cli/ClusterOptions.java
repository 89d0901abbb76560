package io.agentvisor.cli;

import io.agentvisor.api.v1alpha1.GuestAgentPolicy;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options of the cluster verbs: which cluster (kubeconfig as kubectl finds it) and which namespace. */
final class ClusterOptions {
    @Option(names = "--kubeconfig", paramLabel = "PATH",
            description = "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)")
    Path kubeconfig;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS",
            description = "namespace (default: the kubeconfig context's)")
    String namespace;

    KubernetesClient client() {
        Config config;
        if (kubeconfig != null) {
            try {
                config = Config.fromKubeconfig(Files.readString(kubeconfig));
            } catch (IOException e) {
                throw new ClusterException("cannot read kubeconfig " + kubeconfig + ": "
                        + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
            }
        } else {
            config = Config.autoConfigure(null);
        }
        // a CLI should fail in seconds, not retry for minutes
        config.setRequestRetryBackoffLimit(0);
        config.setConnectionTimeout(5_000);
        config.setRequestTimeout(15_000);
        if (namespace != null) {
            config.setNamespace(namespace);
        }
        if (config.getNamespace() == null) {
            config.setNamespace("default");
        }
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    static VirtualMachine vm(KubernetesClient client, String name) {
        VirtualMachine vm = client.resources(VirtualMachine.class).withName(name).get();
        if (vm == null) {
            throw new ClusterException("VirtualMachine " + client.getNamespace() + "/" + name + " not found");
        }
        return vm;
    }

    static GuestAgentPolicy policy(KubernetesClient client, String name) {
        GuestAgentPolicy p = client.resources(GuestAgentPolicy.class).withName(name).get();
        if (p == null) {
            throw new ClusterException("GuestAgentPolicy " + client.getNamespace() + "/" + name + " not found");
        }
        return p;
    }

    /** A cluster-side failure the user can act on: one line, exit code {@link ExitCode#CLUSTER_ERROR}. */
    static final class ClusterException extends RuntimeException {
        ClusterException(String message) {
            super(message);
        }
    }
}
