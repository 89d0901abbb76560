package io.agentvisor.helm;

import static io.agentvisor.helm.Chart.sets;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.Release;
import io.agentvisor.testsupport.KubeApiServer;
import io.agentvisor.testsupport.KubeApiServer.KubectlResult;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rendered chart against a real kube-apiserver 1.20 (RBAC authorizer on, the project's CRDs installed):
 * every variant passes server-side apply with server dry run, a broken manifest does not, and once really
 * installed the two ServiceAccounts can do exactly what their components need.
 */
class ChartApiServerIT {
    private static KubeApiServer server;

    @TempDir
    Path tmp;

    @BeforeAll
    static void controlPlane() {
        server = KubeApiServer.shared();
        ensureNamespace(Chart.NAMESPACE);
    }

    @Test
    void everyValuesVariantIsAcceptedByServerSideDryRun() throws IOException {
        List<Map<String, Object>> variants = List.of(
                Map.of(),
                // unprivileged driver (capabilities drop ALL, add DAC_OVERRIDE and SYS_PTRACE, no privilege escalation)
                sets("agentDriver.kvm.probe", false, "operator.replicas", 0),
                sets("agentDriver.updateStrategy.type", "OnDelete", "agentDriver.kubeletRootDir", "/srv/kubelet",
                        "agentDriver.terminationGracePeriodSeconds", 60, "defaults.agent.responseTimeout", 10,
                        "vmLauncher.image.repository", "registry.example/av/vm-launcher", "vmLauncher.image.tag", "dev",
                        "vmLauncher.image.pullPolicy", "Always"),
                sets("metrics.enabled", false, "imageDirs[0].path", "/srv/images", "imageDirs[1].path", "/data/boot",
                        "agentDriver.tolerations[0].operator", "Exists", "operator.probes.enabled", false,
                        "agentDriver.probes.enabled", false, "agentDriver.resources.limits.memory", "1Gi",
                        "operator.extraEnv[0].name", "JAVA_OPTS", "operator.extraEnv[0].value", "-Xmx256m",
                        "imagePullSecrets[0].name", "registry"));
        for (Map<String, Object> values : variants) {
            String yaml = Chart.template(values);
            KubectlResult r = dryRun(yaml);
            assertEquals(0, r.exitCode(), values + ":\n" + r.output());
            assertAllApplied(Chart.parse(yaml), r, values);
        }
        // a dry run creates nothing
        KubectlResult get = server.kubectl("get", "deployment", "-n", Chart.NAMESPACE, "av-agentvisor-operator");
        assertNotEquals(0, get.exitCode(), get.output());
    }

    @Test
    void serverRejectsAManifestItDoesNotAccept() throws IOException {
        String yaml = Chart.template(Map.of());
        assertTrue(yaml.contains("type: Directory\n"), "the kubelet pods hostPath");
        KubectlResult r = dryRun(yaml.replace("type: Directory\n", "type: NoSuchDirectory\n"));
        assertNotEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("hostPath.type"), r.output());
    }

    @Test
    void serviceMonitorIsAcceptedWhereItsCrdIsInstalled() throws IOException {
        String crd = """
                apiVersion: apiextensions.k8s.io/v1
                kind: CustomResourceDefinition
                metadata:
                  name: servicemonitors.monitoring.coreos.com
                spec:
                  group: monitoring.coreos.com
                  scope: Namespaced
                  names: {kind: ServiceMonitor, listKind: ServiceMonitorList, plural: servicemonitors, singular: servicemonitor}
                  versions:
                    - name: v1
                      served: true
                      storage: true
                      schema:
                        openAPIV3Schema:
                          type: object
                          x-kubernetes-preserve-unknown-fields: true
                """;
        Path crdFile = write("servicemonitor-crd.yaml", crd);
        KubectlResult created = server.kubectl("apply", "--server-side", "-f", crdFile.toString());
        assertEquals(0, created.exitCode(), created.output());
        try {
            KubectlResult established = server.kubectl("wait", "--for", "condition=established", "--timeout=60s",
                    "crd/servicemonitors.monitoring.coreos.com");
            assertEquals(0, established.exitCode(), established.output());
            String yaml = Chart.template(sets("metrics.serviceMonitor.enabled", true,
                    "metrics.serviceMonitor.labels.release", "prometheus"));
            KubectlResult r = dryRun(yaml);
            assertEquals(0, r.exitCode(), r.output());
            assertTrue(r.output().contains("servicemonitor.monitoring.coreos.com/av-agentvisor serverside-applied"),
                    r.output());
            assertAllApplied(Chart.parse(yaml), r, "serviceMonitor on");
        } finally {
            server.kubectl("delete", "crd", "servicemonitors.monitoring.coreos.com", "--wait=false");
        }
    }

    @Test
    void chartCrdsApplyOnTopOfTheInstalledOnes() {
        // what NOTES.txt tells users to run after `helm upgrade`; --force-conflicts because the installed CRDs are
        // owned by another field manager (helm, or kubectl's client-side apply as here)
        KubectlResult r = server.kubectl("apply", "--server-side", "--force-conflicts", "--dry-run=server", "-f",
                Chart.chartCrds().toString());
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("customresourcedefinition.apiextensions.k8s.io/virtualmachines.agentvisor.io"),
                r.output());
        assertTrue(r.output().contains("customresourcedefinition.apiextensions.k8s.io/guestagentpolicies.agentvisor.io"),
                r.output());
    }

    @Test
    void helmInstallsTheChartAndItsServiceAccountsMayDoExactlyWhatTheirComponentsNeed() {
        String ns = "av-rbac";
        Release release = new Helm(Chart.dir()).install().withName("rbac").withNamespace(ns).createNamespace()
                .withKubeConfig(server.kubeconfig()).call();
        try {
            assertEquals("deployed", release.getStatus(), release.getOutput());
            KubectlResult ds = server.kubectl("get", "daemonset", "-n", ns, "rbac-agentvisor-agent-driver", "-o",
                    "jsonpath={.spec.template.spec.containers[0].env[0].valueFrom.fieldRef.fieldPath}");
            assertEquals("spec.nodeName", ds.output().trim(), ds.output());
            KubectlResult strategy = server.kubectl("get", "daemonset", "-n", ns, "rbac-agentvisor-agent-driver", "-o",
                    "jsonpath={.spec.updateStrategy.type}/{.spec.template.spec.hostPID}");
            assertEquals("RollingUpdate/true", strategy.output().trim(), strategy.output());
            KubectlResult roles = server.kubectl("get", "roles,rolebindings", "-n", ns, "-o", "name");
            assertEquals(0, roles.exitCode(), roles.output());
            assertTrue(roles.output().isBlank(), "no namespaced RBAC: " + roles.output());

            String op = "system:serviceaccount:" + ns + ":rbac-agentvisor-operator";
            can(op, true, "list", "virtualmachines.agentvisor.io", "--all-namespaces");
            can(op, true, "watch", "virtualmachines.agentvisor.io", "--all-namespaces");
            can(op, true, "patch", "virtualmachines.agentvisor.io", "--subresource=status", "-n", "default");
            can(op, false, "patch", "virtualmachines.agentvisor.io", "-n", "default");
            can(op, false, "update", "virtualmachines.agentvisor.io", "-n", "default");
            can(op, false, "delete", "virtualmachines.agentvisor.io", "-n", "default");
            can(op, false, "create", "virtualmachines.agentvisor.io", "-n", "default");
            can(op, true, "update", "virtualmachines.agentvisor.io", "--subresource=finalizers", "-n", "default");
            can(op, true, "watch", "guestagentpolicies.agentvisor.io", "--all-namespaces");
            can(op, true, "patch", "guestagentpolicies.agentvisor.io", "--subresource=status", "-n", "default");
            can(op, false, "patch", "guestagentpolicies.agentvisor.io", "-n", "default");
            // one pod per VM, in the VMs' namespaces: created, watched and deleted, never changed in place
            can(op, true, "create", "pods", "-n", "default");
            can(op, true, "delete", "pods", "-n", "tenant-a");
            can(op, true, "watch", "pods", "--all-namespaces");
            can(op, false, "patch", "pods", "-n", "default");
            can(op, false, "update", "pods", "-n", "default");
            can(op, false, "deletecollection", "pods", "-n", "default");
            can(op, false, "create", "pods", "--subresource=exec", "-n", "default");
            can(op, false, "create", "pods", "--subresource=eviction", "-n", "default");
            can(op, false, "get", "pods", "--subresource=log", "-n", "default");
            can(op, true, "create", "events", "-n", "default");
            can(op, false, "list", "leases.coordination.k8s.io", "-n", ns);
            can(op, false, "get", "customresourcedefinitions.apiextensions.k8s.io");
            can(op, false, "get", "nodes");
            can(op, false, "get", "secrets", "-n", ns);
            can(op, false, "list", "secrets", "--all-namespaces");
            can(op, false, "get", "configmaps", "-n", "default");
            can(op, false, "create", "serviceaccounts", "--subresource=token", "-n", "default");

            String drv = "system:serviceaccount:" + ns + ":rbac-agentvisor-agent-driver";
            can(drv, true, "watch", "virtualmachines.agentvisor.io", "--all-namespaces");
            can(drv, true, "patch", "virtualmachines.agentvisor.io", "--subresource=status", "-n", "default");
            can(drv, true, "update", "virtualmachines.agentvisor.io", "--subresource=status", "-n", "default");
            can(drv, false, "patch", "virtualmachines.agentvisor.io", "-n", "default");
            can(drv, false, "update", "virtualmachines.agentvisor.io", "--subresource=finalizers", "-n", "default");
            can(drv, false, "delete", "virtualmachines.agentvisor.io", "-n", "default");
            can(drv, false, "list", "guestagentpolicies.agentvisor.io", "--all-namespaces");
            // runs agent operations and removes finished ones; never creates one (users do)
            can(drv, true, "watch", "guestcommands.agentvisor.io", "--all-namespaces");
            can(drv, true, "update", "guestmaintenances.agentvisor.io", "--subresource=status", "-n", "default");
            can(drv, true, "delete", "guestcommands.agentvisor.io", "-n", "default");
            can(drv, false, "create", "guestcommands.agentvisor.io", "-n", "default");
            can(drv, false, "patch", "guestcommands.agentvisor.io", "-n", "default");
            // finds the VM pods of its node; never creates, changes or deletes one
            can(drv, true, "watch", "pods", "--all-namespaces");
            can(drv, true, "get", "pods", "-n", "default");
            can(drv, false, "create", "pods", "-n", "default");
            can(drv, false, "delete", "pods", "-n", "default");
            can(drv, false, "patch", "pods", "-n", "default");
            can(drv, false, "create", "pods", "--subresource=exec", "-n", "default");
            can(drv, false, "create", "pods", "--subresource=eviction", "-n", "default");
            // its node's KVM probe result
            can(drv, true, "get", "nodes/node-a");
            can(drv, true, "patch", "nodes/node-a");
            can(drv, false, "update", "nodes/node-a");
            can(drv, false, "delete", "nodes/node-a");
            can(drv, false, "patch", "nodes", "--subresource=status");
            can(drv, false, "get", "nodes", "--subresource=proxy");
            can(drv, true, "create", "events", "-n", "default");
            can(drv, false, "create", "leases.coordination.k8s.io", "-n", ns);
            can(drv, false, "get", "customresourcedefinitions.apiextensions.k8s.io");
            can(drv, false, "get", "secrets", "-n", ns);
            can(drv, false, "list", "secrets", "--all-namespaces");
            can(drv, false, "get", "configmaps", "-n", "default");
        } finally {
            Helm.uninstall("rbac").withNamespace(ns).withKubeConfig(server.kubeconfig()).call();
            server.kubectl("delete", "namespace", ns, "--wait=false");
        }
        KubectlResult gone = server.kubectl("get", "clusterrole", "rbac-agentvisor-operator");
        assertNotEquals(0, gone.exitCode(), "helm uninstall removes the cluster-scoped RBAC: " + gone.output());
    }

    private static void can(String user, boolean expected, String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("auth", "can-i", "--as", user));
        cmd.addAll(List.of(args));
        KubectlResult r = server.kubectl(cmd.toArray(String[]::new));
        // the answer is the last line (kubectl may print warnings first)
        List<String> lines = r.output().lines().map(String::trim).filter(l -> !l.isEmpty()).toList();
        assertEquals(expected ? "yes" : "no", lines.isEmpty() ? "" : lines.get(lines.size() - 1),
                user + " " + String.join(" ", args) + ": " + r.output());
    }

    private KubectlResult dryRun(String yaml) throws IOException {
        Path file = write("rendered-" + System.nanoTime() + ".yaml", yaml);
        return server.kubectl("apply", "--server-side", "--dry-run=server", "-f", file.toString());
    }

    private static void assertAllApplied(List<HasMetadata> objects, KubectlResult r, Object variant) {
        long applied = r.output().lines().filter(l -> l.endsWith("serverside-applied (server dry run)")).count();
        assertEquals(objects.size(), applied, variant + ":\n" + r.output());
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(tmp.resolve(name), content);
    }

    private static void ensureNamespace(String ns) {
        KubectlResult r = server.kubectl("create", "namespace", ns);
        assertTrue(r.exitCode() == 0 || r.output().contains("AlreadyExists"), r.output());
    }
}
