package io.agentvisor.helm;

import static io.agentvisor.helm.Chart.NAMESPACE;
import static io.agentvisor.helm.Chart.sets;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
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
    void defaultReleaseRendersTheOperatorTheDriverTheirClusterRbacAndMetricsServices() {
        Chart.Rendered r = Chart.render();
        Map<String, Long> kinds = r.objects().stream()
                .collect(Collectors.groupingBy(HasMetadata::getKind, TreeMap::new, Collectors.counting()));
        // no namespaced Role/RoleBinding: neither component uses Leases any more
        // 2 component roles, 3 user roles for the guest agent (bound by the cluster's admins)
        assertEquals(Map.of("ServiceAccount", 2L, "ClusterRole", 5L, "ClusterRoleBinding", 2L, "Deployment", 1L,
                "DaemonSet", 1L, "Service", 2L), kinds);
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
                // VMs are read, never changed: only their status is written
                "agentvisor.io/virtualmachines", Set.of("get", "list", "watch"),
                "agentvisor.io/virtualmachines/status", Set.of("get", "patch", "update"),
                "agentvisor.io/guestagentpolicies", Set.of("get", "list", "watch"),
                "agentvisor.io/guestagentpolicies/status", Set.of("get", "patch", "update"),
                "/events", Set.of("create", "patch"),
                // one pod per VM: created and deleted by the operator, never patched
                "/pods", Set.of("get", "list", "watch", "create", "delete"),
                // the pod's blockOwnerDeletion ownerReference (OwnerReferencesPermissionEnforcement)
                "agentvisor.io/virtualmachines/finalizers", Set.of("update")),
                grants(r.one(ClusterRole.class, OPERATOR).getRules()));
    }

    @Test
    void driverClusterRoleGrantsExactlyWhatTheDriverUses() {
        Chart.Rendered r = Chart.render();
        assertEquals(Map.of(
                "agentvisor.io/virtualmachines", Set.of("get", "list", "watch"),
                "agentvisor.io/virtualmachines/status", Set.of("get", "patch", "update"),
                // runs each agent operation of its node's VMs once, then deletes it after its ttl
                "agentvisor.io/guestcommands", Set.of("get", "list", "watch", "delete"),
                "agentvisor.io/guestmaintenances", Set.of("get", "list", "watch", "delete"),
                "agentvisor.io/guestcommands/status", Set.of("get", "update"),
                "agentvisor.io/guestmaintenances/status", Set.of("get", "update"),
                // finds the VM pods of its node; never creates or deletes them
                "/pods", Set.of("get", "list", "watch"),
                // publishes its node's KVM probe result
                "/nodes", Set.of("get", "patch"),
                "/events", Set.of("create", "patch")),
                grants(r.one(ClusterRole.class, DRIVER).getRules()));
    }

    @Test
    void noRuleUsesWildcardsOrTouchesSecretsAndOnlyTheOperatorWritesPods() {
        for (Map<String, ?> values : List.of(Map.<String, Object>of(), sets("agentDriver.kvm.probe", false))) {
            Chart.Rendered r = Chart.render(values);
            assertTrue(r.all(Role.class).isEmpty() && r.all(RoleBinding.class).isEmpty(), "no namespaced RBAC");
            for (ClusterRole role : r.all(ClusterRole.class)) {
                if (USER_ROLES.contains(role.getMetadata().getName())) {
                    continue; // see userRolesSeparateGuestInfoMaintenanceAndFullControl
                }
                boolean operator = role.getMetadata().getName().equals(OPERATOR);
                assertTrue(operator || role.getMetadata().getName().equals(DRIVER), role.getMetadata().getName());
                assertFalse(role.getRules().isEmpty());
                assertNull(role.getAggregationRule(), "no aggregated rules");
                for (PolicyRule rule : role.getRules()) {
                    for (List<String> field : List.of(rule.getApiGroups(), rule.getResources(), rule.getVerbs())) {
                        assertFalse(field.isEmpty(), "empty field in " + rule);
                        assertFalse(field.contains("*"), "wildcard in " + rule);
                    }
                    assertTrue(rule.getNonResourceURLs() == null || rule.getNonResourceURLs().isEmpty(), rule.toString());
                    for (String verb : List.of("deletecollection", "escalate", "bind", "impersonate")) {
                        assertFalse(rule.getVerbs().contains(verb), verb + " in " + rule);
                    }
                    for (String res : List.of("secrets", "configmaps", "serviceaccounts", "serviceaccounts/token",
                            "pods/exec", "pods/attach", "pods/portforward", "pods/ephemeralcontainers", "pods/eviction",
                            "pods/status", "nodes/proxy", "nodes/status", "customresourcedefinitions", "leases",
                            "roles", "rolebindings", "clusterroles", "clusterrolebindings")) {
                        assertFalse(rule.getResources().contains(res), res + " in " + rule);
                    }
                    // delete: pods only by the operator (each VM's own pod), finished agent operations only by the
                    // driver (after their ttl); create: pods by the operator, events
                    if (rule.getVerbs().contains("delete")) {
                        assertTrue(operator && rule.getResources().equals(List.of("pods")) && rule.getApiGroups().equals(List.of(""))
                                || !operator && rule.getResources().equals(List.of("guestcommands", "guestmaintenances"))
                                && rule.getApiGroups().equals(List.of("agentvisor.io")), "delete in " + rule);
                    }
                    if (rule.getVerbs().contains("create")) {
                        assertTrue(rule.getApiGroups().equals(List.of("")) && (rule.getResources().equals(List.of("events"))
                                || operator && rule.getResources().equals(List.of("pods"))), "create in " + rule);
                    }
                }
            }
        }
    }

    static final List<String> USER_ROLES = List.of(Chart.RELEASE + "-agentvisor-guest-viewer",
            Chart.RELEASE + "-agentvisor-guest-maintainer", Chart.RELEASE + "-agentvisor-guest-admin");

    @Test
    void userRolesSeparateGuestInfoMaintenanceAndFullControl() {
        Chart.Rendered r = Chart.render();
        Set<String> read = Set.of("get", "list", "watch");
        Set<String> use = Set.of("create", "get", "list", "watch", "delete");
        assertEquals(Map.of("agentvisor.io/virtualmachines", read, "agentvisor.io/virtualmachines/status", read),
                grants(r.one(ClusterRole.class, USER_ROLES.get(0)).getRules()));
        assertEquals(Map.of("agentvisor.io/virtualmachines", read, "agentvisor.io/virtualmachines/status", read,
                "agentvisor.io/guestmaintenances", use), grants(r.one(ClusterRole.class, USER_ROLES.get(1)).getRules()));
        assertEquals(Map.of("agentvisor.io/virtualmachines", read, "agentvisor.io/virtualmachines/status", read,
                "agentvisor.io/guestcommands", use), grants(r.one(ClusterRole.class, USER_ROLES.get(2)).getRules()));
        // nothing binds them: the cluster's admins do, per namespace or cluster-wide
        for (ClusterRoleBinding b : r.all(ClusterRoleBinding.class)) {
            assertFalse(USER_ROLES.contains(b.getRoleRef().getName()), b.getMetadata().getName());
        }
    }

    @Test
    void bindingsGiveEachClusterRoleToItsOwnServiceAccount() {
        Chart.Rendered r = Chart.render();
        for (String name : List.of(OPERATOR, DRIVER)) {
            r.one(ServiceAccount.class, name);
            var crb = r.one(ClusterRoleBinding.class, name);
            assertEquals(name, crb.getRoleRef().getName());
            assertEquals("ClusterRole", crb.getRoleRef().getKind());
            assertEquals(1, crb.getSubjects().size());
            assertEquals("ServiceAccount", crb.getSubjects().get(0).getKind());
            assertEquals(name, crb.getSubjects().get(0).getName());
            assertEquals(NAMESPACE, crb.getSubjects().get(0).getNamespace());
        }
        assertEquals(2, r.all(ClusterRoleBinding.class).size());
    }

    @Test
    void driverAttachesThroughTheKubeletPodsDirectoryReadOnlyWithHostPidAndPrivilegeOnlyForTheKvmProbe() {
        DaemonSet ds = Chart.render().one(DaemonSet.class, DRIVER);
        var pod = ds.getSpec().getTemplate().getSpec();
        Container c = container(ds);
        assertEquals("spec.nodeName", env(c, "NODE_NAME").getValueFrom().getFieldRef().getFieldPath());
        assertEquals("metadata.namespace", env(c, "POD_NAMESPACE").getValueFrom().getFieldRef().getFieldPath());
        assertEquals("/var/lib/kubelet", env(c, "AGENTVISOR_DRIVER_KUBELET_ROOT_DIR").getValue());
        assertEquals("/run/agentvisor", env(c, "AGENTVISOR_DRIVER_RUN_DIR").getValue());
        assertEquals(Set.of("NODE_NAME", "POD_NAMESPACE", "AGENTVISOR_DRIVER_KUBELET_ROOT_DIR", "AGENTVISOR_DRIVER_RUN_DIR",
                "QUARKUS_HTTP_PORT", "QUARKUS_LOG_CATEGORY__IO_AGENTVISOR__LEVEL", "AGENTVISOR_DRIVER_KVM_DEVICE_PLUGIN",
                "AGENTVISOR_DRIVER_KVM_REPROBE_INTERVAL", "AGENTVISOR_DRIVER_KVM_DEVICE_PLUGIN_DIR",
                "AGENTVISOR_DRIVER_KVM_DEVICE_COUNT"),
                c.getEnv().stream().map(EnvVar::getName).collect(Collectors.toSet()), "the driver's whole configuration");
        // status.qemu.pid is the host's pid of each VM pod's QEMU
        assertTrue(pod.getHostPID());
        assertFalse(pod.getHostNetwork());
        assertFalse(pod.getHostIPC());
        assertEquals(30L, pod.getTerminationGracePeriodSeconds());
        assertEquals("RollingUpdate", ds.getSpec().getUpdateStrategy().getType(), "VMs survive a driver roll");
        assertEquals(1, ds.getSpec().getUpdateStrategy().getRollingUpdate().getMaxUnavailable().getIntVal());

        // the host: the kubelet's pod directories (read-only) and its device-plugins directory (the KVM device
        // plugin's socket), nothing else (privileged: the host's /dev for the probe)
        assertEquals(Map.of("/var/lib/kubelet/pods", "Directory", "/var/lib/kubelet/device-plugins", "DirectoryOrCreate"),
                hostPaths(pod.getVolumes()));
        assertEquals(Map.of("/var/lib/kubelet/pods", true, "/run/agentvisor", false, "/tmp", false,
                "/var/lib/kubelet/device-plugins", false), mounts(c));
        assertEquals("HostToContainer", c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals("/var/lib/kubelet/pods"))
                .findFirst().orElseThrow().getMountPropagation(), "pod volumes mounted after the driver started are seen");
        assertNotNull(volume(pod.getVolumes(), c, "/run/agentvisor").getEmptyDir(), "runDir is the pod's own emptyDir");
        assertNotNull(volume(pod.getVolumes(), c, "/tmp").getEmptyDir());
        assertTrue(c.getSecurityContext().getPrivileged(), "the KVM probe opens the host's /dev/kvm");
        assertTrue(c.getSecurityContext().getReadOnlyRootFilesystem());
        assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
        // no VM runs in the driver's cgroup any more: it has a memory limit of its own
        assertEquals("512Mi", c.getResources().getLimits().get("memory").toString());
        assertEquals("256Mi", c.getResources().getRequests().get("memory").toString());
        assertNotNull(c.getReadinessProbe());
        assertNotNull(c.getLivenessProbe());
    }

    @Test
    void withoutTheKvmProbeTheDriverIsUnprivilegedWithOnlyDacOverrideAndPtrace() {
        DaemonSet ds = Chart.render(sets("agentDriver.kvm.probe", false)).one(DaemonSet.class, DRIVER);
        Container c = container(ds);
        var pod = ds.getSpec().getTemplate().getSpec();
        assertEquals(Map.of("/var/lib/kubelet/pods", "Directory"), hostPaths(pod.getVolumes()));
        assertEquals(Map.of("/var/lib/kubelet/pods", true, "/run/agentvisor", false, "/tmp", false), mounts(c));
        assertFalse(c.getSecurityContext().getPrivileged());
        assertFalse(c.getSecurityContext().getAllowPrivilegeEscalation());
        assertEquals(List.of("ALL"), c.getSecurityContext().getCapabilities().getDrop());
        // to connect to the VM pods' sockets, which belong to their non-root user
        // and to find each QEMU's pid on the node through /proc/<pid>/root
        assertEquals(List.of("DAC_OVERRIDE", "SYS_PTRACE"), c.getSecurityContext().getCapabilities().getAdd());
        assertTrue(c.getSecurityContext().getReadOnlyRootFilesystem());
    }

    @Test
    void kubeletRootDirMovesTheReadOnlyPodsMountAndReachesTheDriver() {
        DaemonSet ds = Chart.render(sets("agentDriver.kubeletRootDir", "/srv/kubelet/", "agentDriver.runDir", "/run/av"))
                .one(DaemonSet.class, DRIVER);
        Container c = container(ds);
        assertEquals("/srv/kubelet/", env(c, "AGENTVISOR_DRIVER_KUBELET_ROOT_DIR").getValue());
        assertEquals("/run/av", env(c, "AGENTVISOR_DRIVER_RUN_DIR").getValue());
        assertEquals(Map.of("/srv/kubelet/pods", "Directory", "/var/lib/kubelet/device-plugins", "DirectoryOrCreate"),
                hostPaths(ds.getSpec().getTemplate().getSpec().getVolumes()));
        assertEquals(Map.of("/srv/kubelet/pods", true, "/run/av", false, "/tmp", false,
                "/var/lib/kubelet/device-plugins", false), mounts(c));
        assertRefused(sets("agentDriver.kubeletRootDir", "var/lib/kubelet"), "kubeletRootDir");
        assertRefused(sets("agentDriver.runDir", "/run/" + "x".repeat(40)), "runDir");
    }

    @Test
    void vmLauncherImageAndPullPolicyReachTheOperator() {
        Container op = container(Chart.render().one(Deployment.class, OPERATOR));
        assertEquals("agentvisor/vm-launcher:0.1.0", env(op, "AGENTVISOR_LAUNCHER_IMAGE").getValue());
        assertEquals("IfNotPresent", env(op, "AGENTVISOR_LAUNCHER_IMAGE_PULL_POLICY").getValue());
        Chart.Rendered r = Chart.render(sets("vmLauncher.image.repository", "registry.example/av/vm-launcher",
                "vmLauncher.image.tag", "dev", "vmLauncher.image.pullPolicy", "Never"));
        op = container(r.one(Deployment.class, OPERATOR));
        assertEquals("registry.example/av/vm-launcher:dev", env(op, "AGENTVISOR_LAUNCHER_IMAGE").getValue());
        assertEquals("Never", env(op, "AGENTVISOR_LAUNCHER_IMAGE_PULL_POLICY").getValue());
        // the launcher image is the VM pods', not the driver's nor the operator's own
        assertEquals("agentvisor/operator:0.1.0", op.getImage());
        assertEquals("agentvisor/agent-driver:0.1.0", container(r.one(DaemonSet.class, DRIVER)).getImage());
        assertRefused(sets("vmLauncher.image.pullPolicy", "Sometimes"), "pullPolicy");
        assertRefused(sets("vmLauncher.image.repository", ""), "repository");
    }

    @Test
    void imageDirsReachTheOperatorOnlyAndAreNotMountedIntoTheDriver() {
        Chart.Rendered r = Chart.render(sets("imageDirs[0].path", "/srv/images", "imageDirs[1].path", "/data/boot"));
        assertEquals("/srv/images,/data/boot",
                env(container(r.one(Deployment.class, OPERATOR)), "AGENTVISOR_IMAGES_ALLOWED_DIRS").getValue());
        DaemonSet ds = r.one(DaemonSet.class, DRIVER);
        Container c = container(ds);
        assertFalse(hostPaths(ds.getSpec().getTemplate().getSpec().getVolumes()).keySet().stream()
                .anyMatch(p -> p.startsWith("/srv") || p.startsWith("/data")), "imageDirs are the VM pods' business");
        assertTrue(c.getEnv().stream().noneMatch(e -> e.getValue() != null && e.getValue().contains("/srv/images")),
                c.getEnv().toString());
        // shared boot files are read-only for every VM pod: there is no readOnly switch any more
        assertRefused(sets("imageDirs[0].readOnly", false), "readOnly");
    }

    @Test
    void invalidImageDirsAreRefused() {
        assertRefused(sets("imageDirs[0].path", "relative/dir"), "imageDirs");
        assertRefused(sets("imageDirs[0].path", "/"), "host root");
        assertRefused(sets("imageDirs[0].path", "/a", "imageDirs[1].path", "/a/"), "listed twice");
        // VM paths inside (or above) the kubelet's root would reach other pods' volumes
        assertRefused(sets("imageDirs[0].path", "/var/lib/kubelet"), "kubelet's root directory");
        assertRefused(sets("imageDirs[0].path", "/var/lib/kubelet/pods/x"), "kubelet's root directory");
        assertRefused(sets("agentDriver.kubeletRootDir", "/srv/k8s/kubelet", "imageDirs[0].path", "/srv/k8s/kubelet/images/"),
                "kubelet's root directory");
        assertRefused(sets("imageDirs[0].path", "/var/lib"), "contains the kubelet's root directory");
        assertRefused(sets("agentDriver.kubeletRootDir", "/srv/k8s/kubelet/", "imageDirs[0].path", "/srv"),
                "contains the kubelet's root directory");
        // ... and only inside it: a sibling whose name merely starts alike, or another kubelet root, is fine
        assertEquals("/var/lib/kubelet-images", operatorEnv(sets("imageDirs[0].path", "/var/lib/kubelet-images"),
                "AGENTVISOR_IMAGES_ALLOWED_DIRS"));
        assertEquals("/var/lib/kubelet/images", operatorEnv(sets("agentDriver.kubeletRootDir", "/srv/k8s/kubelet",
                "imageDirs[0].path", "/var/lib/kubelet/images"), "AGENTVISOR_IMAGES_ALLOWED_DIRS"));
    }

    @Test
    void removedValuesAreRefusedNotSilentlyIgnored() {
        for (String key : List.of("agentDriver.stateDir", "agentDriver.memoryCapacity", "agentDriver.stopGraceSeconds")) {
            Object value = key.endsWith("Seconds") ? (Object) 30 : "/var/lib/agentvisor";
            assertRefused(sets(key, value), key.substring(key.indexOf('.') + 1));
        }
        assertRefused(sets("agentDriver.kvm.enabled", false), "enabled");
        assertRefused(sets("agentDriver.kvm.devicePluginResource", "devices.kubevirt.io/kvm"), "devicePluginResource");
        assertRefused(sets("imageDirs[0].readOnly", true), "readOnly");
    }

    @Test
    void theKvmDevicePluginFollowsItsValuesAndNeedsTheProbe() {
        Container c = container(Chart.render().one(DaemonSet.class, DRIVER));
        assertEquals("true", env(c, "AGENTVISOR_DRIVER_KVM_DEVICE_PLUGIN").getValue());
        assertEquals("/var/lib/kubelet/device-plugins", env(c, "AGENTVISOR_DRIVER_KVM_DEVICE_PLUGIN_DIR").getValue());
        assertEquals("1000", env(c, "AGENTVISOR_DRIVER_KVM_DEVICE_COUNT").getValue());
        assertEquals("10m", env(c, "AGENTVISOR_DRIVER_KVM_REPROBE_INTERVAL").getValue());
        assertTrue(c.getEnv().stream().noneMatch(e -> e.getName().equals("AGENTVISOR_DRIVER_KVM_TEST_ONLY_ASSUME_AVAILABLE")));

        // the kubelet's directory does not follow kubeletRootDir (Kubernetes fixes it), but can be moved
        DaemonSet moved = Chart.render(sets("agentDriver.kubeletRootDir", "/srv/kubelet",
                "agentDriver.kvm.devicePlugin.dir", "/srv/dp/", "agentDriver.kvm.devicePlugin.deviceCount", 20))
                .one(DaemonSet.class, DRIVER);
        assertEquals("DirectoryOrCreate", hostPaths(moved.getSpec().getTemplate().getSpec().getVolumes()).get("/srv/dp"));
        assertEquals(false, mounts(container(moved)).get("/srv/dp"));
        assertEquals("20", env(container(moved), "AGENTVISOR_DRIVER_KVM_DEVICE_COUNT").getValue());

        // off, or no probe that could pass: no plugin, no host directory
        for (Map<String, ?> values : List.of(sets("agentDriver.kvm.devicePlugin.enabled", false),
                sets("agentDriver.kvm.probe", false))) {
            DaemonSet ds = Chart.render(values).one(DaemonSet.class, DRIVER);
            assertEquals("false", env(container(ds), "AGENTVISOR_DRIVER_KVM_DEVICE_PLUGIN").getValue(), values.toString());
            assertFalse(hostPaths(ds.getSpec().getTemplate().getSpec().getVolumes()).containsKey(
                    "/var/lib/kubelet/device-plugins"), values.toString());
        }

        // the test-only switch is named as such wherever it shows
        Container test = container(Chart.render(sets("agentDriver.kvm.testOnlyAssumeAvailable", true))
                .one(DaemonSet.class, DRIVER));
        assertEquals("true", env(test, "AGENTVISOR_DRIVER_KVM_TEST_ONLY_ASSUME_AVAILABLE").getValue());

        assertRefused(sets("agentDriver.kvm.devicePlugin.dir", "device-plugins"), "dir");
        assertRefused(sets("agentDriver.kvm.devicePlugin.deviceCount", 0), "deviceCount");
        assertRefused(sets("agentDriver.kvm.reprobeInterval", "often"), "reprobeInterval");
    }

    @Test
    void vmAccelerationReachesTheOperatorTcgByDefault() {
        assertEquals("tcg", operatorEnv(Map.of(), "AGENTVISOR_VM_ACCELERATION"));
        assertEquals("kvm", operatorEnv(sets("vm.acceleration", "kvm"), "AGENTVISOR_VM_ACCELERATION"));
        assertRefused(sets("vm.acceleration", "auto"), "acceleration");
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
    void operatorsNeverOverlapAndDriversRollOneNodeAtATime() {
        Chart.Rendered r = Chart.render();
        assertEquals("Recreate", r.one(Deployment.class, OPERATOR).getSpec().getStrategy().getType());
        assertEquals(1, r.one(Deployment.class, OPERATOR).getSpec().getReplicas());
        assertEquals(0, Chart.render(sets("operator.replicas", 0)).one(Deployment.class, OPERATOR).getSpec().getReplicas());
        assertRefused(sets("operator.replicas", 2), "replicas");
        DaemonSet onDelete = Chart.render(sets("agentDriver.updateStrategy.type", "OnDelete",
                "agentDriver.terminationGracePeriodSeconds", 60))
                .one(DaemonSet.class, DRIVER);
        assertEquals("OnDelete", onDelete.getSpec().getUpdateStrategy().getType());
        assertEquals(60L, onDelete.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds());
        assertRefused(sets("agentDriver.updateStrategy.type", "Recreate"), "updateStrategy");
        assertRefused(sets("agentDriver.terminationGracePeriodSeconds", -1), "terminationGracePeriodSeconds");
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
        // a bounded JVM heap: the operator's RSS requirement (<= 300 MiB at 1,000 VMs) under its 512Mi limit
        assertTrue(env(c, "JDK_JAVA_OPTIONS").getValue().contains("-Xmx96m"), env(c, "JDK_JAVA_OPTIONS").getValue());
        assertEquals("2", env(c, "MALLOC_ARENA_MAX").getValue());
        assertEquals("/var/lib/agentvisor-images", env(c, "AGENTVISOR_IMAGES_ALLOWED_DIRS").getValue());
    }

    @Test
    void schedulingValuesReachBothPodTemplates() {
        Chart.Rendered r = Chart.render(sets("agentDriver.nodeSelector.kvm", "yes",
                "agentDriver.tolerations[0].key", "agentvisor.io/vm-host", "agentDriver.tolerations[0].operator", "Exists",
                "operator.nodeSelector.role", "control", "operator.image.tag", "dev", "agentDriver.image.repository",
                "registry.example/av/driver"));
        var driverPod = r.one(DaemonSet.class, DRIVER).getSpec().getTemplate().getSpec();
        assertEquals(Map.of("kubernetes.io/os", "linux", "kvm", "yes"), driverPod.getNodeSelector());
        assertEquals("agentvisor.io/vm-host", driverPod.getTolerations().get(0).getKey());
        assertEquals("registry.example/av/driver:0.1.0", driverPod.getContainers().get(0).getImage());
        var opPod = r.one(Deployment.class, OPERATOR).getSpec().getTemplate().getSpec();
        assertEquals(Map.of("kubernetes.io/os", "linux", "role", "control"), opPod.getNodeSelector());
        assertEquals("agentvisor/operator:dev", opPod.getContainers().get(0).getImage());
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

    /** mount path → readOnly */
    static Map<String, Boolean> mounts(Container c) {
        return c.getVolumeMounts().stream().collect(Collectors.toMap(VolumeMount::getMountPath,
                m -> Boolean.TRUE.equals(m.getReadOnly())));
    }

    static Volume volume(List<Volume> volumes, Container c, String mountPath) {
        String name = c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(mountPath)).findFirst()
                .orElseThrow(() -> new AssertionError("no mount " + mountPath)).getName();
        return volumes.stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name));
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
