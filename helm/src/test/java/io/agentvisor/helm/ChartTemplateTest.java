package io.agentvisor.helm;

import static io.agentvisor.helm.Chart.NAMESPACE;
import static io.agentvisor.helm.Chart.sets;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** `helm template` of helm/agentvisor through helm-java: what the chart renders for its values. */
class ChartTemplateTest {
    static final String OPERATOR = "av-agentvisor-operator";
    static final String DRIVER = "av-agentvisor-agent-driver";

    @Test
    void defaultReleaseRendersTheOperatorTheDriverTheirRbacAndMetricsServices() {
        Chart.Rendered r = Chart.render();
        Map<String, Long> kinds = r.objects().stream()
                .collect(Collectors.groupingBy(HasMetadata::getKind, TreeMap::new, Collectors.counting()));
        assertEquals(Map.of("ServiceAccount", 2L, "ClusterRole", 2L, "ClusterRoleBinding", 2L, "Role", 2L,
                "RoleBinding", 2L, "Deployment", 1L, "DaemonSet", 1L, "Service", 2L), kinds);
        for (HasMetadata o : r.objects()) {
            boolean clusterScoped = o instanceof ClusterRole || o instanceof ClusterRoleBinding;
            assertEquals(clusterScoped ? null : NAMESPACE, o.getMetadata().getNamespace(), o.getKind() + " namespace");
            assertEquals("agentvisor", o.getMetadata().getLabels().get("app.kubernetes.io/part-of"));
        }
        assertEquals(OPERATOR, r.one(Deployment.class, OPERATOR).getSpec().getTemplate().getSpec().getServiceAccountName());
        assertEquals(DRIVER, r.one(DaemonSet.class, DRIVER).getSpec().getTemplate().getSpec().getServiceAccountName());
        assertEquals("agentvisor/operator:0.1.0", container(r.one(Deployment.class, OPERATOR)).getImage());
        assertEquals("agentvisor/agent-driver:0.1.0", container(r.one(DaemonSet.class, DRIVER)).getImage());
    }

    @Test
    void operatorClusterRoleGrantsExactlyWhatTheOperatorUses() {
        Chart.Rendered r = Chart.render();
        assertEquals(Map.of(
                "agentvisor.io/virtualmachines", Set.of("get", "list", "watch", "patch", "update"),
                "agentvisor.io/virtualmachines/status", Set.of("get", "patch", "update"),
                "agentvisor.io/guestagentpolicies", Set.of("get", "list", "watch"),
                "agentvisor.io/guestagentpolicies/status", Set.of("get", "patch", "update"),
                "/events", Set.of("create", "patch")),
                grants(r.one(ClusterRole.class, OPERATOR).getRules()));
        // leases: only read, only in the release namespace (the drivers' node Leases)
        assertEquals(Map.of("coordination.k8s.io/leases", Set.of("get", "list", "watch")),
                grants(r.one(Role.class, OPERATOR).getRules()));
    }

    @Test
    void driverClusterRoleGrantsExactlyWhatTheDriverUses() {
        Chart.Rendered r = Chart.render();
        assertEquals(Map.of(
                "agentvisor.io/virtualmachines", Set.of("get", "list", "watch", "patch", "update"),
                "agentvisor.io/virtualmachines/status", Set.of("get", "patch", "update"),
                "agentvisor.io/virtualmachines/finalizers", Set.of("update"),
                "/events", Set.of("create", "patch")),
                grants(r.one(ClusterRole.class, DRIVER).getRules()));
        assertEquals(Map.of("coordination.k8s.io/leases", Set.of("create", "get", "update", "patch")),
                grants(r.one(Role.class, DRIVER).getRules()));
    }

    @Test
    void noRoleUsesWildcardsOrTouchesSecretsPodsOrDeletes() {
        for (Map<String, ?> values : List.of(Map.<String, Object>of(), sets("agentDriver.kvm.enabled", false))) {
            Chart.Rendered r = Chart.render(values);
            List<PolicyRule> rules = new java.util.ArrayList<>();
            r.all(ClusterRole.class).forEach(c -> rules.addAll(c.getRules()));
            r.all(Role.class).forEach(c -> rules.addAll(c.getRules()));
            assertFalse(rules.isEmpty());
            for (PolicyRule rule : rules) {
                for (List<String> field : List.of(rule.getApiGroups(), rule.getResources(), rule.getVerbs())) {
                    assertFalse(field.contains("*"), "wildcard in " + rule);
                }
                assertTrue(rule.getNonResourceURLs() == null || rule.getNonResourceURLs().isEmpty(), rule.toString());
                for (String verb : List.of("delete", "deletecollection", "escalate", "bind", "impersonate")) {
                    assertFalse(rule.getVerbs().contains(verb), verb + " in " + rule);
                }
                for (String res : List.of("secrets", "pods", "pods/exec", "configmaps", "nodes", "customresourcedefinitions")) {
                    assertFalse(rule.getResources().contains(res), res + " in " + rule);
                }
            }
        }
    }

    @Test
    void bindingsGiveEachRoleToItsOwnServiceAccount() {
        Chart.Rendered r = Chart.render();
        for (String name : List.of(OPERATOR, DRIVER)) {
            r.one(ServiceAccount.class, name);
            var crb = r.one(ClusterRoleBinding.class, name);
            assertEquals(name, crb.getRoleRef().getName());
            assertEquals("ClusterRole", crb.getRoleRef().getKind());
            assertEquals(1, crb.getSubjects().size());
            assertEquals(name, crb.getSubjects().get(0).getName());
            assertEquals(NAMESPACE, crb.getSubjects().get(0).getNamespace());
            var rb = r.one(RoleBinding.class, name);
            assertEquals("Role", rb.getRoleRef().getKind());
            assertEquals(name, rb.getRoleRef().getName());
            assertEquals(name, rb.getSubjects().get(0).getName());
        }
    }

    @Test
    void driverGetsItsNodeNameNamespaceHostPathsAndPrivilegeOnlyForHostKvm() {
        DaemonSet ds = Chart.render().one(DaemonSet.class, DRIVER);
        var pod = ds.getSpec().getTemplate().getSpec();
        Container c = container(ds);
        assertEquals("spec.nodeName", env(c, "NODE_NAME").getValueFrom().getFieldRef().getFieldPath());
        assertEquals("metadata.namespace", env(c, "POD_NAMESPACE").getValueFrom().getFieldRef().getFieldPath());
        assertEquals("metadata.namespace", env(c, "AGENTVISOR_DRIVER_LEASE_NAMESPACE").getValueFrom().getFieldRef()
                .getFieldPath());
        assertEquals("/var/lib/agentvisor", env(c, "AGENTVISOR_DRIVER_STATE_DIR").getValue());
        assertEquals("/run/agentvisor", env(c, "AGENTVISOR_DRIVER_RUN_DIR").getValue());
        assertEquals("/var/lib/agentvisor-images", env(c, "AGENTVISOR_DRIVER_IMAGE_DIRS").getValue());
        assertEquals("auto", env(c, "AGENTVISOR_DRIVER_ACCELERATOR").getValue());
        assertEquals("30s", env(c, "AGENTVISOR_DRIVER_STOP_GRACE").getValue());
        assertEquals("true", env(c, "AGENTVISOR_DRIVER_STOP_VMS_ON_EXIT").getValue());
        assertFalse(pod.getHostPID());
        assertFalse(pod.getHostNetwork());
        assertEquals("OnDelete", ds.getSpec().getUpdateStrategy().getType());

        Map<String, String> hostPaths = hostPaths(pod.getVolumes());
        assertEquals(Map.of("/var/lib/agentvisor", "DirectoryOrCreate", "/var/lib/agentvisor-images", "DirectoryOrCreate",
                "/dev/kvm", "CharDevice"), hostPaths);
        assertEquals(Set.of("/var/lib/agentvisor", "/run/agentvisor", "/tmp", "/var/lib/agentvisor-images", "/dev/kvm"),
                c.getVolumeMounts().stream().map(VolumeMount::getMountPath).collect(Collectors.toSet()));
        assertTrue(c.getSecurityContext().getPrivileged(), "host /dev/kvm needs privileged");
        // VMs run in the driver's cgroup: a memory limit would OOM-kill them
        assertTrue(c.getResources().getLimits() == null || !c.getResources().getLimits().containsKey("memory"));
        assertNotNull(c.getReadinessProbe());
    }

    @Test
    void withoutKvmTheDriverDropsEveryCapabilityAndIsNotPrivileged() {
        DaemonSet ds = Chart.render(sets("agentDriver.kvm.enabled", false)).one(DaemonSet.class, DRIVER);
        Container c = container(ds);
        assertFalse(hostPaths(ds.getSpec().getTemplate().getSpec().getVolumes()).containsKey("/dev/kvm"));
        assertFalse(c.getSecurityContext().getPrivileged());
        assertFalse(c.getSecurityContext().getAllowPrivilegeEscalation());
        assertEquals(List.of("ALL"), c.getSecurityContext().getCapabilities().getDrop());
        assertTrue(c.getSecurityContext().getReadOnlyRootFilesystem());
        assertEquals("tcg", env(c, "AGENTVISOR_DRIVER_ACCELERATOR").getValue(), "no /dev/kvm: do not probe for it");
    }

    @Test
    void kvmFromADevicePluginIsAResourceLimitNotAPrivilegedHostPath() {
        DaemonSet ds = Chart.render(sets("agentDriver.kvm.devicePluginResource", "devices.kubevirt.io/kvm",
                "agentDriver.resources.limits.cpu", "2")).one(DaemonSet.class, DRIVER);
        Container c = container(ds);
        assertFalse(hostPaths(ds.getSpec().getTemplate().getSpec().getVolumes()).containsKey("/dev/kvm"));
        assertFalse(c.getSecurityContext().getPrivileged());
        assertEquals("1", c.getResources().getLimits().get("devices.kubevirt.io/kvm").toString());
        assertEquals("2", c.getResources().getLimits().get("cpu").toString());
        assertEquals("256Mi", c.getResources().getRequests().get("memory").toString());
    }

    @Test
    void imageDirsAreMountedAtTheirHostPathAndGivenToBothComponents() {
        Chart.Rendered r = Chart.render(sets("imageDirs[0].path", "/srv/images", "imageDirs[0].readOnly", true,
                "imageDirs[1].path", "/data/disks"));
        DaemonSet ds = r.one(DaemonSet.class, DRIVER);
        Container c = container(ds);
        assertEquals("/srv/images,/data/disks", env(c, "AGENTVISOR_DRIVER_IMAGE_DIRS").getValue());
        assertEquals("/srv/images,/data/disks",
                env(container(r.one(Deployment.class, OPERATOR)), "AGENTVISOR_IMAGES_ALLOWED_DIRS").getValue());
        Map<String, Boolean> readOnly = c.getVolumeMounts().stream().filter(m -> m.getMountPath().startsWith("/srv")
                || m.getMountPath().startsWith("/data")).collect(Collectors.toMap(VolumeMount::getMountPath,
                m -> Boolean.TRUE.equals(m.getReadOnly())));
        assertEquals(Map.of("/srv/images", true, "/data/disks", false), readOnly);
        assertEquals("DirectoryOrCreate", hostPaths(ds.getSpec().getTemplate().getSpec().getVolumes()).get("/data/disks"));
    }

    @Test
    void invalidImageDirsAreRefused() {
        assertRefused(sets("imageDirs[0].path", "relative/dir"), "imageDirs");
        assertRefused(sets("imageDirs[0].path", "/var/lib/agentvisor"), "stateDir");
        assertRefused(sets("imageDirs[0].path", "/"), "host root");
        assertRefused(sets("imageDirs[0].path", "/a", "imageDirs[1].path", "/a/"), "listed twice");
    }

    @Test
    void defaultResponseTimeoutReachesTheOperatorAndIsValidated() {
        assertEquals("Default", operatorEnv(Map.of(), "AGENTVISOR_DEFAULT_RESPONSE_TIMEOUT"));
        assertEquals("7", operatorEnv(sets("defaults.agent.responseTimeout", 7), "AGENTVISOR_DEFAULT_RESPONSE_TIMEOUT"));
        assertEquals("-2", operatorEnv(sets("defaults.agent.responseTimeout", -2), "AGENTVISOR_DEFAULT_RESPONSE_TIMEOUT"));
        assertEquals("NoWait", operatorEnv(sets("defaults.agent.responseTimeout", "NoWait"),
                "AGENTVISOR_DEFAULT_RESPONSE_TIMEOUT"));
        assertRefused(sets("defaults.agent.responseTimeout", "lots"), "responseTimeout");
        assertRefused(sets("defaults.agent.responseTimeout", -3), "responseTimeout");
        assertRefused(sets("defaults.agent.responseTimeout", "block"), "responseTimeout");
    }

    @Test
    void operatorsNeverOverlapAndDriversOutliveTheirGracefulStops() {
        Chart.Rendered r = Chart.render();
        assertEquals("Recreate", r.one(Deployment.class, OPERATOR).getSpec().getStrategy().getType());
        assertEquals(1, r.one(Deployment.class, OPERATOR).getSpec().getReplicas());
        assertEquals(0, Chart.render(sets("operator.replicas", 0)).one(Deployment.class, OPERATOR).getSpec().getReplicas());
        assertRefused(sets("operator.replicas", 2), "replicas");
        assertEquals(120L, r.one(DaemonSet.class, DRIVER).getSpec().getTemplate().getSpec()
                .getTerminationGracePeriodSeconds());
        assertRefused(sets("agentDriver.stopGraceSeconds", 115), "terminationGracePeriodSeconds must exceed");
        DaemonSet longer = Chart.render(sets("agentDriver.stopGraceSeconds", 115,
                "agentDriver.terminationGracePeriodSeconds", 200)).one(DaemonSet.class, DRIVER);
        assertEquals("115s", env(container(longer), "AGENTVISOR_DRIVER_STOP_GRACE").getValue());
    }

    @Test
    void operatorRunsAsNonRootWithAReadOnlyRootAndNoCapabilities() {
        Deployment d = Chart.render().one(Deployment.class, OPERATOR);
        var pod = d.getSpec().getTemplate().getSpec();
        Container c = container(d);
        assertTrue(pod.getSecurityContext().getRunAsNonRoot());
        assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
        assertFalse(c.getSecurityContext().getAllowPrivilegeEscalation());
        assertTrue(c.getSecurityContext().getReadOnlyRootFilesystem());
        assertEquals(List.of("ALL"), c.getSecurityContext().getCapabilities().getDrop());
        assertTrue(pod.getVolumes().stream().noneMatch(v -> v.getHostPath() != null), "operator has no host access");
        assertEquals("metadata.namespace", env(c, "AGENTVISOR_NAMESPACE").getValueFrom().getFieldRef().getFieldPath());
        assertEquals("/var/lib/agentvisor-images", env(c, "AGENTVISOR_IMAGES_ALLOWED_DIRS").getValue());
    }

    @Test
    void schedulingValuesReachBothPodTemplates() {
        Chart.Rendered r = Chart.render(sets("agentDriver.nodeSelector.kvm", "yes",
                "agentDriver.tolerations[0].key", "agentvisor.io/vm-host", "agentDriver.tolerations[0].operator", "Exists",
                "operator.nodeSelector.role", "control", "operator.image.tag", "dev", "agentDriver.image.repository",
                "registry.example/av/driver", "agentDriver.memoryCapacity", "24Gi"));
        var driverPod = r.one(DaemonSet.class, DRIVER).getSpec().getTemplate().getSpec();
        assertEquals(Map.of("kubernetes.io/os", "linux", "kvm", "yes"), driverPod.getNodeSelector());
        assertEquals("agentvisor.io/vm-host", driverPod.getTolerations().get(0).getKey());
        assertEquals("24Gi", env(driverPod.getContainers().get(0), "AGENTVISOR_DRIVER_CAPACITY_MEMORY").getValue());
        assertEquals("registry.example/av/driver:0.1.0", driverPod.getContainers().get(0).getImage());
        var opPod = r.one(Deployment.class, OPERATOR).getSpec().getTemplate().getSpec();
        assertEquals(Map.of("kubernetes.io/os", "linux", "role", "control"), opPod.getNodeSelector());
        assertEquals("agentvisor/operator:dev", opPod.getContainers().get(0).getImage());
        assertRefused(sets("agentDriver.memoryCapacity", "lots"), "memoryCapacity");
    }

    @Test
    void metricsServicesSelectThePodsAndThePodsCarryScrapeAnnotations() {
        Chart.Rendered r = Chart.render();
        Map<String, Map<String, String>> podLabels = Map.of(
                "operator", r.one(Deployment.class, OPERATOR).getSpec().getTemplate().getMetadata().getLabels(),
                "agent-driver", r.one(DaemonSet.class, DRIVER).getSpec().getTemplate().getMetadata().getLabels());
        for (var e : podLabels.entrySet()) {
            Service svc = r.one(Service.class, "av-agentvisor-" + e.getKey() + "-metrics");
            assertTrue(e.getValue().entrySet().containsAll(svc.getSpec().getSelector().entrySet()),
                    svc.getSpec().getSelector() + " must select " + e.getValue());
            assertEquals("http-metrics", svc.getSpec().getPorts().get(0).getName());
        }
        var ann = r.one(DaemonSet.class, DRIVER).getSpec().getTemplate().getMetadata().getAnnotations();
        assertEquals(Map.of("prometheus.io/scrape", "true", "prometheus.io/port", "8080", "prometheus.io/path", "/metrics"),
                ann);
        for (Container c : List.of(container(r.one(DaemonSet.class, DRIVER)), container(r.one(Deployment.class, OPERATOR)))) {
            assertEquals("8080", env(c, "QUARKUS_HTTP_PORT").getValue());
            // the metrics path is a Quarkus build-time property: setting it at run time would only log a warning
            assertTrue(c.getEnv().stream().noneMatch(e -> e.getName().equals("QUARKUS_MICROMETER_EXPORT_PROMETHEUS_PATH")));
        }
        // the workload selectors select their own pod templates
        assertTrue(podLabels.get("operator").entrySet().containsAll(
                r.one(Deployment.class, OPERATOR).getSpec().getSelector().getMatchLabels().entrySet()));
        assertTrue(podLabels.get("agent-driver").entrySet().containsAll(
                r.one(DaemonSet.class, DRIVER).getSpec().getSelector().getMatchLabels().entrySet()));

        Chart.Rendered off = Chart.render(sets("metrics.enabled", false, "agentDriver.podAnnotations.team", "vms"));
        assertTrue(off.all(Service.class).isEmpty());
        assertEquals(Map.of("team", "vms"), off.one(DaemonSet.class, DRIVER).getSpec().getTemplate().getMetadata()
                .getAnnotations());
        var opAnn = off.one(Deployment.class, OPERATOR).getSpec().getTemplate().getMetadata().getAnnotations();
        assertTrue(opAnn == null || opAnn.isEmpty(), "no scrape annotations with metrics off: " + opAnn);
    }

    @Test
    @SuppressWarnings("unchecked")
    void serviceMonitorBehindItsFlagScrapesBothMetricsServices() {
        assertTrue(Chart.render().ofKind("ServiceMonitor").isEmpty(), "off by default");
        Chart.Rendered r = Chart.render(sets("metrics.serviceMonitor.enabled", true,
                "metrics.serviceMonitor.labels.release", "kube-prometheus-stack"));
        List<HasMetadata> monitors = r.ofKind("ServiceMonitor");
        assertEquals(1, monitors.size());
        GenericKubernetesResource sm = (GenericKubernetesResource) monitors.get(0);
        assertEquals("monitoring.coreos.com/v1", sm.getApiVersion());
        assertEquals(NAMESPACE, sm.getMetadata().getNamespace());
        assertEquals("kube-prometheus-stack", sm.getMetadata().getLabels().get("release"));
        Map<String, Object> spec = (Map<String, Object>) sm.getAdditionalProperties().get("spec");
        Map<String, String> match = (Map<String, String>) ((Map<String, Object>) spec.get("selector")).get("matchLabels");
        List<Service> selected = r.all(Service.class).stream()
                .filter(s -> s.getMetadata().getLabels().entrySet().containsAll(match.entrySet())).toList();
        assertEquals(2, selected.size(), "both metrics Services: " + match);
        List<Map<String, Object>> endpoints = (List<Map<String, Object>>) spec.get("endpoints");
        assertEquals("http-metrics", endpoints.get(0).get("port"));
        assertEquals("/metrics", endpoints.get(0).get("path"));
        assertRefused(sets("metrics.serviceMonitor.enabled", true, "metrics.enabled", false), "metrics.enabled");
    }

    @Test
    void namesFollowTheReleaseAndStayWithinKubernetesLimits() {
        List<HasMetadata> objs = Chart.parse(Chart.template("agentvisor", "vms", Map.of()));
        assertTrue(objs.stream().anyMatch(o -> o.getMetadata().getName().equals("agentvisor-operator")), "no doubled name");
        List<HasMetadata> longName = Chart.parse(Chart.template("a-very-long-release-name-for-a-production-cluster",
                "vms", Map.of()));
        for (HasMetadata o : longName) {
            assertTrue(o.getMetadata().getName().length() <= 63, o.getMetadata().getName());
        }
    }

    static void assertRefused(Map<String, ?> values, String mentioning) {
        Exception e = assertThrows(Exception.class, () -> Chart.template(values), "helm must refuse " + values);
        assertTrue(e.getMessage() != null && e.getMessage().contains(mentioning),
                "refusal of " + values + " should mention '" + mentioning + "': " + e.getMessage());
    }

    static String operatorEnv(Map<String, ?> values, String name) {
        return env(container(Chart.render(values).one(Deployment.class, OPERATOR)), name).getValue();
    }

    static Container container(Deployment d) {
        return d.getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    static Container container(DaemonSet d) {
        return d.getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    static EnvVar env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no env " + name + " in " + c.getName()));
    }

    static Map<String, String> hostPaths(List<Volume> volumes) {
        return volumes.stream().filter(v -> v.getHostPath() != null)
                .collect(Collectors.toMap(v -> v.getHostPath().getPath(), v -> v.getHostPath().getType()));
    }

    /** "group/resource" → verbs, merged over the rules. */
    static Map<String, Set<String>> grants(List<PolicyRule> rules) {
        Map<String, Set<String>> out = new TreeMap<>();
        for (PolicyRule rule : rules) {
            for (String g : rule.getApiGroups()) {
                for (String res : rule.getResources()) {
                    out.computeIfAbsent(g + "/" + res, k -> new TreeSet<>()).addAll(rule.getVerbs());
                }
            }
        }
        return out;
    }
}
