package io.agentvisor.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options of the cluster verbs: which cluster (kubeconfig as kubectl finds it) and which namespace. Only
 * fields here: picocli reflects over this class on every start, so the Kubernetes client lives in {@link Cluster}
 * and is loaded only by a verb that talks to the cluster.
 */
final class ClusterOptions {
    @Option(names = "--kubeconfig", paramLabel = "PATH",
            description = "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)")
    Path kubeconfig;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS",
            description = "namespace (default: the kubeconfig context's)")
    String namespace;

    Cluster connect() {
        return Cluster.connect(kubeconfig, namespace);
    }

    /** A cluster-side failure the user can act on: one line, exit code {@link ExitCode#CLUSTER_ERROR}. */
    static final class ClusterException extends RuntimeException {
        ClusterException(String message) {
            super(message);
        }
    }
}
