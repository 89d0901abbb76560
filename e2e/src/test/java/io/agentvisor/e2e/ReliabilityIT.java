package io.agentvisor.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentvisor.api.v1alpha1.Agentvisor;
import io.agentvisor.api.v1alpha1.Boot;
import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.Conditions;
import io.agentvisor.api.v1alpha1.GuestAgentPolicy;
import io.agentvisor.api.v1alpha1.GuestAgentPolicySpec;
import io.agentvisor.api.v1alpha1.GuestAgentSettings;
import io.agentvisor.api.v1alpha1.NodeLeases;
import io.agentvisor.api.v1alpha1.Phase;
import io.agentvisor.api.v1alpha1.PollIntervals;
import io.agentvisor.api.v1alpha1.RunStrategy;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineSpec;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.agentvisor.testsupport.KubeApiServer;
import io.agentvisor.testsupport.Repo;
import io.agentvisor.testsupport.Signals;
import io.agentvisor.testsupport.TinyGuest;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The reliability suite of issue 7: the real kube-apiserver, the packaged operator and agent-driver as separate
 * processes, real tiny TCG guests. Things are broken on purpose; each scenario asserts that nothing is lost, no
 * QEMU is duplicated and the status is truthful afterwards.
 *
 * <p>One operator and one driver (node {@value #NODE}) serve the whole suite, and five guests are booted once and
 * shared by the scenarios that need running VMs (each TCG boot costs 10-15 s of a 2-core machine), so the order of
 * the scenarios matters: later ones build on the VMs the earlier ones left running.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(Summary.class)
class ReliabilityIT {
    static final String NS = "e2e";
    static final String SYSTEM_NS = "agentvisor-system";
    static final String NODE = "e2e-a";
    static final String POOL = "pool";
    static final ResourceDefinitionContext VMS = ResourceDefinitionContext.fromResourceType(VirtualMachine.class);
    static final List<String> RUNNING_VMS = List.of("run-0", "run-1", "run-2", "run-3", "run-4");
    static final String RUN_POLICY = "running";
    static final ObjectMapper JSON = new ObjectMapper();

    static KubeApiServer api;
    static KubernetesClient k;
    static Path logs;
    static Path guestDir;
    static Path extraImages;
    static Path stateA;
    static Path runA;
    static String tmpfsReason;
    static boolean tmpfs;
    static Component operator;
    static Component driver;
    static final List<Component> others = new ArrayList<>();
    static final List<Path> runDirs = new ArrayList<>();
    static final Map<String, Long> pids = new ConcurrentHashMap<>();
    static final Map<String, String> uids = new ConcurrentHashMap<>();
    static int runTimeout = 3;

    // ------------------------------------------------------------------ fixture

    @BeforeAll
    static void startSystem() throws Exception {
        api = KubeApiServer.shared();
        k = api.client();
        for (String ns : List.of(NS, SYSTEM_NS)) {
            k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
                    .serverSideApply();
        }
        logs = Path.of("target", "e2e-logs").toAbsolutePath();
        Files.createDirectories(logs);
        guestDir = TinyGuest.kernel().getParent();
        // images the operator allows but the driver does not: the driver's own check must catch them
        extraImages = Repo.shortTempDir("aveimg");
        Files.copy(TinyGuest.kernel(), extraImages.resolve("vmlinuz"), StandardCopyOption.REPLACE_EXISTING);

        stateA = Repo.shortTempDir("aves");
        runA = Repo.shortTempDir("aver");
        runDirs.add(runA);
        // the driver's state directory on a small tmpfs, so the disk-full scenario can fill it
        Sys.Result mount = Sys.run("mount", "-t", "tmpfs", "-o", "size=32m,mode=0700", "tmpfs", stateA.toString());
        tmpfs = mount.code() == 0;
        tmpfsReason = tmpfs ? "" : "mount -t tmpfs not permitted here: " + mount.output().strip();
        Runtime.getRuntime().addShutdownHook(new Thread(ReliabilityIT::killLeftovers, "e2e-qemu-kill"));

        operator = new Component("operator", Repo.root().resolve("operator/target/quarkus-app/quarkus-run.jar"),
                List.of("-Dquarkus.http.port=0", "-Dagentvisor.namespace=" + SYSTEM_NS,
                        "-Dagentvisor.images.allowed-dirs=" + guestDir + "," + extraImages,
                        "-Dagentvisor.placement.retry-interval=5s"),
                Map.of("KUBECONFIG", api.kubeconfig().toString()), logs.resolve("operator.log"));
        driver = driver(NODE, stateA, runA, "a");
        operator.start();
        driver.start();
        awaitOperatorStarted();
        awaitDriverStarted(driver);
        await("a fresh Lease of " + NODE, Duration.ofSeconds(60), () -> k.leases().inNamespace(SYSTEM_NS)
                .withName(NodeLeases.leaseName(NODE)).get(), l -> l != null && NodeLeases.isFresh(l, Instant.now()));
    }

    static Component driver(String node, Path state, Path run, String pool) {
        Map<String, String> env = new HashMap<>();
        env.put("NODE_NAME", node);
        env.put("KUBECONFIG", api.kubeconfig().toString());
        env.put("AGENTVISOR_DRIVER_STATE_DIR", state.toString());
        env.put("AGENTVISOR_DRIVER_RUN_DIR", run.toString());
        env.put("AGENTVISOR_DRIVER_IMAGE_DIRS", guestDir.toString());
        env.put("AGENTVISOR_DRIVER_LEASE_NAMESPACE", SYSTEM_NS);
        env.put("AGENTVISOR_DRIVER_HTTP_PORT", "0");
        env.put("AGENTVISOR_DRIVER_ACCELERATOR", "tcg");
        env.put("AGENTVISOR_DRIVER_STOP_GRACE", "5s");
        return new Component("driver-" + node, Repo.root().resolve("agent-driver/target/quarkus-app/quarkus-run.jar"),
                List.of("-Dagentvisor.driver.node-labels." + POOL + "=" + pool), env,
                logs.resolve("driver-" + node + ".log"));
    }

    static void awaitOperatorStarted() throws InterruptedException {
        await("the operator's controllers", Duration.ofSeconds(90), operator::currentLog,
                l -> l.contains("'virtualmachine' controller started")
                        && l.contains("'guestagentpolicy' controller started"));
    }

    static void awaitDriverStarted(Component d) throws InterruptedException {
        await(d.name + " listening", Duration.ofSeconds(90), d::currentLog, l -> l.contains("Listening on"));
    }

    @AfterAll
    static void stopSystem() {
        try {
            for (Component c : others) {
                c.close();
            }
            if (driver != null) {
                driver.close();
            }
            if (operator != null) {
                operator.close();
            }
        } finally {
            killLeftovers();
            if (tmpfs) {
                Sys.Result r = Sys.run("umount", "-l", stateA.toString());
                if (r.code() != 0) {
                    System.err.println("umount " + stateA + ": " + r.output());
                }
                tmpfs = false;
            }
            for (Path p : List.of(stateA, runA, extraImages)) {
                deleteQuietly(p);
            }
            System.out.println("[e2e] logs of the operator and drivers: " + logs);
        }
    }

    /** No QEMU started by this suite outlives it, whatever failed (also run from a shutdown hook). */
    static synchronized void killLeftovers() {
        for (Path run : runDirs) {
            for (long pid : Sys.qemuPids(run.toString())) {
                Sys.forceKill(pid);
            }
        }
        for (String uid : uids.values()) {
            for (long pid : Sys.qemuPids(uid)) {
                Sys.forceKill(pid);
            }
        }
    }

    static void deleteQuietly(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException ignored) {
            // best effort
        }
    }

    // ------------------------------------------------------------------ helpers

    static VirtualMachine newVm(String name, RunStrategy strategy, Map<String, String> labels, String pool) {
        VirtualMachine vm = new VirtualMachine();
        vm.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).withLabels(labels).build());
        VirtualMachineSpec spec = new VirtualMachineSpec();
        spec.setRunStrategy(strategy);
        spec.setMemory(new Quantity("128Mi"));
        Boot boot = new Boot();
        boot.setKernel(TinyGuest.kernel().toString());
        boot.setInitrd(TinyGuest.initrd().toString());
        boot.setCmdline("console=ttyS0 quiet");
        spec.setBoot(boot);
        if (pool != null) {
            spec.setNodeSelector(Map.of(POOL, pool));
        }
        vm.setSpec(spec);
        VirtualMachine created = k.resource(vm).create();
        uids.put(name, created.getMetadata().getUid());
        return created;
    }

    static GuestAgentPolicy policy(String name, Map<String, String> selector, int timeout,
            Consumer<GuestAgentPolicySpec> more) {
        GuestAgentPolicy p = new GuestAgentPolicy();
        p.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
        GuestAgentPolicySpec spec = new GuestAgentPolicySpec();
        spec.setSelector(new LabelSelectorBuilder().withMatchLabels(selector).build());
        spec.setResponseTimeout(new IntOrString(timeout));
        more.accept(spec);
        p.setSpec(spec);
        return k.resource(p).create();
    }

    static void setPolicyTimeout(String policy, int timeout) {
        k.resources(GuestAgentPolicy.class).inNamespace(NS).withName(policy)
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"responseTimeout\":" + timeout + "}}");
    }

    static VirtualMachine vm(String name) {
        return k.resources(VirtualMachine.class).inNamespace(NS).withName(name).get();
    }

    static VirtualMachineStatus status(String name) {
        VirtualMachine vm = vm(name);
        return vm == null || vm.getStatus() == null ? new VirtualMachineStatus() : vm.getStatus();
    }

    static Condition cond(VirtualMachineStatus s, String type) {
        return Conditions.find(s.getConditions(), type);
    }

    static boolean is(VirtualMachineStatus s, String type, String value) {
        Condition c = cond(s, type);
        return c != null && value.equals(c.getStatus());
    }

    static Long qemuPid(VirtualMachineStatus s) {
        return s.getQemu() == null ? null : s.getQemu().getPid();
    }

    static Integer appliedTimeout(VirtualMachineStatus s) {
        return s.getAgent() == null ? null : s.getAgent().getResponseTimeout();
    }

    /** Running, agent answering, guest info from inside the guest. */
    static boolean healthy(VirtualMachineStatus s) {
        return s.getPhase() == Phase.Running && qemuPid(s) != null && is(s, ConditionTypes.AGENT_RESPONSIVE, "True")
                && is(s, ConditionTypes.RUNNING, "True") && s.getGuest() != null && s.getGuest().getOsInfo() != null
                && s.getGuest().getHostname() != null;
    }

    static <T> T await(String what, Duration max, Supplier<T> get, Predicate<T> ok) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        T last = null;
        RuntimeException error = null;
        while (true) {
            try {
                last = get.get();
                error = null;
                if (ok.test(last)) {
                    return last;
                }
            } catch (RuntimeException e) {
                error = e; // keep trying until the deadline (e.g. the API is still coming back)
            }
            if (System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(250);
        }
        throw new AssertionError(what + " not reached within " + max.toSeconds() + " s; last: " + json(last)
                + (error == null ? "" : "; last error: " + error) + "\n---- driver log ----\n"
                + (driver == null ? "" : driver.tail(40)) + "\n---- operator log ----\n"
                + (operator == null ? "" : operator.tail(20)));
    }

    static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            return String.valueOf(o);
        }
    }

    /** Exactly one QEMU for each of these VMs, and it is the one status.qemu.pid names. */
    static void assertOneQemuEach(List<String> names) {
        for (String name : names) {
            List<Long> found = Sys.qemuPids(uids.get(name));
            assertEquals(1, found.size(), name + ": qemu-system processes with its uid: " + found);
            assertEquals(found.get(0), qemuPid(status(name)), name + ": status.qemu.pid is the real QEMU");
        }
    }

    static void assertSamePids(List<String> names, Map<String, Instant> started) {
        for (String name : names) {
            long pid = pids.get(name);
            assertTrue(Sys.alive(pid), name + ": QEMU " + pid + " still runs");
            assertEquals(pid, qemuPid(status(name)), name + ": same QEMU pid in status");
            if (started != null) {
                assertEquals(started.get(name), Sys.startTime(pid).orElse(null), name + ": not restarted");
            }
        }
    }

    static Map<String, Instant> startTimes(List<String> names) {
        Map<String, Instant> m = new HashMap<>();
        names.forEach(n -> m.put(n, Sys.startTime(pids.get(n)).orElseThrow()));
        return m;
    }

    static List<String> live() {
        return RUNNING_VMS.stream().filter(pids::containsKey).toList();
    }

    // ------------------------------------------------------------------ scenarios

    @Test
    @Order(0)
    @DisplayName("0 baseline: five tiny guests Running with guest info (shared by the scenarios below)")
    void bootGuests() throws Exception {
        policy(RUN_POLICY, Map.of("e2e", "running"), runTimeout, s -> {
            s.setUnresponsiveAfter(2);
            PollIntervals pi = new PollIntervals();
            pi.setUsers("2s");
            s.setPollIntervals(pi);
        });
        newVm("run-0", RunStrategy.RerunOnFailure, Map.of("e2e", "running"), "a");
        newVm("run-1", RunStrategy.RerunOnFailure, Map.of("e2e", "running"), "a");
        newVm("run-2", RunStrategy.Always, Map.of("e2e", "running"), "a");
        newVm("run-3", RunStrategy.Always, Map.of("e2e", "running"), "a");
        newVm("run-4", RunStrategy.RerunOnFailure, Map.of("e2e", "running"), "a");
        for (String name : RUNNING_VMS) {
            VirtualMachineStatus s = await(name + " Running with guest info", Duration.ofSeconds(240),
                    () -> status(name), ReliabilityIT::healthy);
            assertEquals(NODE, s.getNodeName());
            assertEquals(runTimeout, appliedTimeout(s));
            pids.put(name, qemuPid(s));
        }
        assertOneQemuEach(RUNNING_VMS);
        Summary.check(RUNNING_VMS.size() + " VMs placed on " + NODE + ", Running, AgentResponsive True, osInfo+hostname from the guest, "
                + "applied timeout " + runTimeout + ", one QEMU each");
    }

    @Test
    @Order(1)
    @DisplayName("1 driver kill -9 with 5 VMs running, then restarted")
    void driverKill9() throws Exception {
        Assumptions.assumeTrue(pids.size() == RUNNING_VMS.size(), "needs all the running guests");
        Map<String, Instant> started = startTimes(RUNNING_VMS);
        driver.kill9();
        Thread.sleep(2000);
        for (String name : RUNNING_VMS) {
            assertTrue(Sys.alive(pids.get(name)), name + ": QEMU outlives its driver");
        }
        Summary.check("all " + RUNNING_VMS.size() + " QEMUs outlive the killed driver");
        // while no driver runs, the policy changes: the new driver must pick it up
        runTimeout = 4;
        setPolicyTimeout(RUN_POLICY, runTimeout);
        driver.start();
        awaitDriverStarted(driver);
        for (String name : RUNNING_VMS) {
            await(name + " adopted, timeout " + runTimeout + " applied", Duration.ofSeconds(90), () -> status(name),
                    s -> healthy(s) && Integer.valueOf(runTimeout).equals(appliedTimeout(s)));
        }
        assertSamePids(RUNNING_VMS, started);
        assertOneQemuEach(RUNNING_VMS);
        Summary.check("restarted driver adopted the same " + RUNNING_VMS.size()
                + " pids (same process start times: no VM restarted), one QEMU per uid");
        Summary.check("status truthful after adoption: Running, AgentResponsive True, policy edit made while the "
                + "driver was dead applied (responseTimeout " + runTimeout + ")");
    }

    @Test
    @Order(2)
    @DisplayName("2 operator kill -9 during a policy rollout over 20 VMs")
    void operatorKill9DuringRollout() throws Exception {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String name = String.format("roll-%02d", i);
            newVm(name, RunStrategy.Halted, Map.of("e2e", "rollout"), "a");
            names.add(name);
        }
        policy("rollout", Map.of("e2e", "rollout"), 2, s -> { });
        Supplier<Map<String, Integer>> resolved = () -> {
            Map<String, Integer> m = new HashMap<>();
            for (VirtualMachine v : k.resources(VirtualMachine.class).inNamespace(NS).withLabel("e2e", "rollout")
                    .list().getItems()) {
                Integer t = v.getStatus() == null || v.getStatus().getAgentPolicy() == null ? null
                        : v.getStatus().getAgentPolicy().getResponseTimeout();
                m.put(v.getMetadata().getName(), t);
            }
            return m;
        };
        await("20 VMs resolved to responseTimeout 2", Duration.ofSeconds(90), resolved,
                m -> m.size() == 20 && m.values().stream().allMatch(Integer.valueOf(2)::equals));
        Summary.check("20 Halted VMs resolved to the policy's responseTimeout 2");

        long operatorPid = operator.pid();
        setPolicyTimeout("rollout", 9);
        // kill as soon as the rollout has begun (the first VM shows 9), or after 3 s at the latest
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        Map<String, Integer> atKill = resolved.get();
        while (System.nanoTime() < deadline && atKill.values().stream().noneMatch(Integer.valueOf(9)::equals)) {
            Thread.sleep(10);
            atKill = resolved.get();
        }
        operator.kill9();
        long done = atKill.values().stream().filter(Integer.valueOf(9)::equals).count();
        System.out.println("[e2e] operator " + operatorPid + " killed with " + done + "/20 VMs rolled out");
        Thread.sleep(1000);
        Map<String, Integer> afterKill = resolved.get();
        long doneAfterKill = afterKill.values().stream().filter(Integer.valueOf(9)::equals).count();

        operator.start();
        awaitOperatorStarted();
        await("all 20 VMs show responseTimeout 9", Duration.ofSeconds(120), resolved,
                m -> m.size() == 20 && m.values().stream().allMatch(Integer.valueOf(9)::equals));
        GuestAgentPolicy p = await("policy status counts 20 VMs", Duration.ofSeconds(60),
                () -> k.resources(GuestAgentPolicy.class).inNamespace(NS).withName("rollout").get(),
                x -> x.getStatus() != null && Integer.valueOf(20).equals(x.getStatus().getVirtualMachines()));
        assertNotNull(p);
        for (String name : names) {
            VirtualMachineStatus s = status(name);
            assertEquals("GuestAgentPolicy/" + NS + "/rollout", s.getAgentPolicy().getPolicy(), name);
            assertTrue(Sys.qemuPids(uids.get(name)).isEmpty(), name + ": Halted, no QEMU");
        }
        // the running VMs did not notice
        assertSamePids(live(), null);
        Summary.check("operator killed mid-rollout (" + done + "/20 rolled out when the kill was sent, "
                + doneAfterKill + "/20 right after); the restarted operator finished it: all 20 show 9, "
                + "policy status.virtualMachines = 20, none lost");
        Summary.check("Halted VMs stayed without QEMU; the running VMs kept their pids");
        // leave nothing the later scenarios have to skip over
        k.resources(VirtualMachine.class).inNamespace(NS).withLabel("e2e", "rollout").delete();
    }

    @Test
    @Order(3)
    @DisplayName("3 kube-apiserver hung for 20 s (SIGSTOP/SIGCONT) while VMs run")
    void apiserverHang() throws Exception {
        Assumptions.assumeTrue(!live().isEmpty(), "needs running guests");
        Path pidFile = api.kubeconfig().getParent().resolve("kube-apiserver.pid");
        Assumptions.assumeTrue(Files.exists(pidFile), "no " + pidFile);
        long apiPid = Long.parseLong(Files.readString(pidFile).trim());
        Outage outage = new Outage();
        Signals.stop(apiPid);
        try {
            Thread.sleep(20_000);
            outage.assertNothingStoppedMeanwhile();
        } finally {
            Signals.cont(apiPid);
        }
        Summary.check("20 s API hang (requests hang, nothing refused): every QEMU kept running, operator and driver alive");
        outage.assertRecovered(5, "after SIGCONT");
    }

    @Test
    @Order(4)
    @DisplayName("3b kube-apiserver and etcd stopped for 15 s, then restarted on the same data, while VMs run")
    void apiserverAndEtcdRestart() throws Exception {
        Assumptions.assumeTrue(!live().isEmpty(), "needs running guests");
        Map<String, String> uidsBefore = new java.util.TreeMap<>();
        for (String name : live()) {
            uidsBefore.put(name, k.resources(VirtualMachine.class).inNamespace(NS).withName(name).get()
                    .getMetadata().getUid());
        }
        Outage outage = new Outage();
        Thread watcher = new Thread(() -> {
            try {
                Thread.sleep(8_000); // while the control plane is down (refused connections, not a hang)
                outage.assertNothingStoppedMeanwhile();
                outage.checkedWhileDown = true;
            } catch (InterruptedException | AssertionError e) {
                outage.problemWhileDown = e;
            }
        }, "e2e-outage-watch");
        watcher.start();
        api.restart(Duration.ofSeconds(15)); // SIGTERM etcd + apiserver + KCM, 15 s down, start again
        watcher.join();
        if (outage.problemWhileDown != null) {
            throw new AssertionError("during the outage: " + outage.problemWhileDown.getMessage(), outage.problemWhileDown);
        }
        assertTrue(outage.checkedWhileDown);
        Summary.check("etcd + kube-apiserver + controller manager stopped for 15 s: every QEMU kept running, operator "
                + "and driver alive and not restarted while the API refused connections");
        outage.assertRecovered(4, "after the restart");
        for (var e : uidsBefore.entrySet()) {
            VirtualMachine vm = k.resources(VirtualMachine.class).inNamespace(NS).withName(e.getKey()).get();
            assertNotNull(vm, e.getKey() + " survived the restart (etcd data kept)");
            assertEquals(e.getValue(), vm.getMetadata().getUid(), e.getKey() + ": the same object, not a re-creation");
        }
        Summary.check("same VirtualMachine objects (same UIDs) after the restart: nothing lost from etcd");
    }

    /** What an API outage must not change: QEMU pids and start times, operator and driver processes. */
    private final class Outage {
        final Map<String, Instant> started = startTimes(live());
        final long operatorPid = operator.pid();
        final long driverPid = driver.pid();
        final int operatorStarts = operator.starts();
        final int driverStarts = driver.starts();
        volatile boolean checkedWhileDown;
        volatile Throwable problemWhileDown;

        void assertNothingStoppedMeanwhile() {
            for (String name : started.keySet()) {
                assertTrue(Sys.alive(pids.get(name)), name + ": QEMU keeps running while the API is away");
            }
            assertTrue(operator.isAlive() && driver.isAlive(), "operator and driver survive the outage");
        }

        /** Both writers resume by themselves: a policy edit is resolved (operator) and applied (driver). */
        void assertRecovered(int timeout, String when) throws Exception {
            runTimeout = timeout;
            await("the API answers again", Duration.ofSeconds(120), () -> {
                setPolicyTimeout(RUN_POLICY, runTimeout);
                return true;
            }, b -> b);
            for (String name : started.keySet()) {
                await(name + ": timeout " + runTimeout + " applied " + when, Duration.ofSeconds(180),
                        () -> status(name), s -> healthy(s) && Integer.valueOf(runTimeout).equals(appliedTimeout(s)));
            }
            var lease = await("the driver renews its Lease again", Duration.ofSeconds(60),
                    () -> k.leases().inNamespace(SYSTEM_NS).withName(NodeLeases.leaseName(NODE)).get(),
                    l -> NodeLeases.isFresh(l, Instant.now()));
            assertNotNull(lease);
            assertSamePids(List.copyOf(started.keySet()), started);
            assertOneQemuEach(List.copyOf(started.keySet()));
            assertEquals(operatorPid, operator.pid());
            assertEquals(driverPid, driver.pid());
            assertEquals(operatorStarts, operator.starts());
            assertEquals(driverStarts, driver.starts());
            assertTrue(operator.isAlive() && driver.isAlive());
            Summary.check(when + ": operator and driver reconnected by themselves (same pids), policy edit resolved "
                    + "and applied (responseTimeout " + runTimeout + "), Lease fresh, same QEMU pids, one QEMU each");
        }
    }

    @Test
    @Order(5)
    @DisplayName("6 409 conflicts under concurrent edits of one running VM's spec")
    void conflicts() throws Exception {
        Assumptions.assumeTrue(pids.containsKey("run-0"), "needs run-0 running");
        String name = "run-0";
        var res = k.resources(VirtualMachine.class).inNamespace(NS).withName(name);
        // two writers read the same resourceVersion; the first writes. (The driver and operator write status,
        // which moves the resourceVersion too: if one of them got in first, both writers read again.)
        VirtualMachine b = null;
        for (int attempt = 0; b == null; attempt++) {
            VirtualMachine a = res.get();
            VirtualMachine stale = res.get();
            assertEquals(a.getMetadata().getResourceVersion(), stale.getMetadata().getResourceVersion());
            addCommandTimeout(a, "guest-get-users", 3);
            try {
                k.resource(a).update();
                b = stale;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt > 20) {
                    throw e;
                }
            }
        }
        addCommandTimeout(b, "guest-get-osinfo", 4);
        KubernetesClientException conflict = null;
        try {
            k.resource(b).update();
        } catch (KubernetesClientException e) {
            conflict = e;
        }
        assertNotNull(conflict, "the second writer with a stale resourceVersion must not overwrite the first");
        assertEquals(409, conflict.getCode(), conflict.getMessage());
        updateRetrying(name, v -> addCommandTimeout(v, "guest-get-osinfo", 4));
        Summary.check("stale writer got 409; after re-reading, both writers' edits are in the spec");

        // now two writers hammering the same spec concurrently, each retrying on 409
        int perWriter = 8;
        AtomicInteger conflicts = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<?>> writers = new ArrayList<>();
        for (String w : List.of("a", "b")) {
            writers.add(pool.submit(() -> {
                go.await();
                for (int i = 0; i < perWriter; i++) {
                    String command = "guest-e2e-" + w + "-" + i;
                    conflicts.addAndGet(updateRetrying(name, v -> addCommandTimeout(v, command, 2)));
                }
                return null;
            }));
        }
        go.countDown();
        for (Future<?> f : writers) {
            f.get();
        }
        pool.shutdown();
        Map<String, IntOrString> spec = res.get().getSpec().getGuestAgent().getCommandTimeouts();
        assertEquals(2 + 2 * perWriter, spec.size(), "no edit lost: " + spec);
        Summary.check("2 concurrent writers x " + perWriter + " edits: " + conflicts.get() + " x 409, all "
                + (2 + 2 * perWriter) + " edits present");
        VirtualMachineStatus s = await("the operator resolved every edit into status.agentPolicy",
                Duration.ofSeconds(60), () -> status(name), st -> st.getAgentPolicy() != null
                        && st.getAgentPolicy().getCommandTimeouts() != null
                        && st.getAgentPolicy().getCommandTimeouts().size() == 2 + 2 * perWriter);
        assertEquals(4, s.getAgentPolicy().getCommandTimeouts().get("guest-get-osinfo"));
        await("the driver keeps the VM healthy", Duration.ofSeconds(60), () -> status(name), ReliabilityIT::healthy);
        assertSamePids(List.of(name), null);
        assertOneQemuEach(List.of(name));
        Summary.check("operator status writes unaffected (agentPolicy.commandTimeouts has all "
                + (2 + 2 * perWriter) + "), driver status still Running/AgentResponsive True, same QEMU");
    }

    /** Read, edit, update; on 409 (someone wrote in between) read again. Returns how many 409s it took. */
    static int updateRetrying(String name, java.util.function.Consumer<VirtualMachine> edit) {
        var res = k.resources(VirtualMachine.class).inNamespace(NS).withName(name);
        for (int attempt = 0; ; attempt++) {
            VirtualMachine v = res.get();
            edit.accept(v);
            try {
                k.resource(v).update();
                return attempt;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt > 50) {
                    throw e;
                }
            }
        }
    }

    static void addCommandTimeout(VirtualMachine v, String command, int timeout) {
        GuestAgentSettings g = v.getSpec().getGuestAgent();
        if (g == null) {
            g = new GuestAgentSettings();
            v.getSpec().setGuestAgent(g);
        }
        Map<String, IntOrString> m = g.getCommandTimeouts() == null ? new LinkedHashMap<>()
                : new LinkedHashMap<>(g.getCommandTimeouts());
        m.put(command, new IntOrString(timeout));
        g.setCommandTimeouts(m);
    }

    @Test
    @Order(6)
    @DisplayName("8c disk full in the driver's state directory")
    void diskFull() throws Exception {
        Assumptions.assumeTrue(tmpfs, "skipped: " + tmpfsReason);
        Assumptions.assumeTrue(!live().isEmpty(), "needs running guests");
        List<String> running = live();
        Map<String, Instant> started = startTimes(running);
        Map<String, byte[]> records = new HashMap<>();
        for (String name : running) {
            Path dir = stateA.resolve("vms").resolve(uids.get(name));
            records.put(name, Files.readAllBytes(dir.resolve("vm.json")));
        }
        Path filler = stateA.resolve("filler");
        try {
            fill(filler);
            Summary.check("state directory (32 MiB tmpfs) filled to ENOSPC");
            // a new VM on this node cannot get its files written: a clear phase, no QEMU
            newVm("full-new", RunStrategy.Always, Map.of(), "a");
            String msg = await("full-new: a LaunchFailed event saying why", Duration.ofSeconds(90),
                    () -> events("full-new"), ev -> ev.contains("No space left on device"));
            VirtualMachineStatus s = await("full-new not Running (Failed, or Starting in back-off)",
                    Duration.ofSeconds(30), () -> status("full-new"),
                    st -> st.getPhase() == Phase.Failed || st.getPhase() == Phase.Starting);
            Thread.sleep(3000);
            assertTrue(Sys.qemuPids(uids.get("full-new")).isEmpty(), "no QEMU for a VM that could not be recorded");
            Condition rc = cond(status("full-new"), ConditionTypes.RUNNING);
            Summary.check("new VM on the full node: no QEMU, event '" + shortened(msg) + "', phase " + s.getPhase()
                    + (rc == null ? " (no Running condition)" : ", Running " + rc.getStatus() + " (" + rc.getReason()
                    + ": " + shortened(rc.getMessage()) + ")"));
            // deleting a VM must work on a full disk too
            k.resources(VirtualMachine.class).inNamespace(NS).withName("full-new").delete();
            await("full-new deleted while the disk is full", Duration.ofSeconds(60), () -> vm("full-new") == null,
                    b -> b);
            Summary.check("the failed VM is deletable while the disk is still full; no QEMU left");
            // a policy edit cannot be persisted in agent.json: applied live anyway, recorded files stay intact
            runTimeout = 6;
            setPolicyTimeout(RUN_POLICY, runTimeout);
            for (String name : running) {
                await(name + " timeout " + runTimeout + " applied on a full disk", Duration.ofSeconds(60),
                        () -> status(name), st -> healthy(st) && Integer.valueOf(runTimeout).equals(appliedTimeout(st)));
            }
            assertTrue(driver.isAlive(), "the driver survives a full disk");
            for (String name : running) {
                Path dir = stateA.resolve("vms").resolve(uids.get(name));
                assertEquals(new String(records.get(name)), Files.readString(dir.resolve("vm.json")),
                        name + ": vm.json unchanged");
                JsonNode agent = JSON.readTree(dir.resolve("agent.json").toFile());
                assertNotNull(agent, name + ": agent.json is valid JSON");
            }
            Summary.check("running VMs on the full disk: edit applied live, vm.json byte-identical, agent.json valid "
                    + "JSON (atomic writes), driver alive");
        } finally {
            Files.deleteIfExists(filler);
        }
        // the recorded state is still good enough to adopt every VM after a crash
        driver.kill9();
        driver.start();
        awaitDriverStarted(driver);
        for (String name : running) {
            await(name + " adopted after the disk-full episode", Duration.ofSeconds(90), () -> status(name),
                    st -> healthy(st) && Integer.valueOf(runTimeout).equals(appliedTimeout(st)));
        }
        assertSamePids(running, started);
        assertOneQemuEach(running);
        assertTrue(Sys.qemuPids(uids.get("full-new")).isEmpty());
        Summary.check("space freed, driver kill -9 + restart: adopted the same pids from the recorded state");
    }

    static void fill(Path filler) throws IOException {
        byte[] chunk = new byte[1 << 20];
        try (var out = Files.newOutputStream(filler)) {
            for (int i = 0; i < 1024; i++) {
                out.write(chunk);
            }
            fail("the 32 MiB tmpfs did not fill up");
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) {
                throw e;
            }
        }
    }

    @Test
    @Order(7)
    @DisplayName("4 QEMU killed (RerunOnFailure restarts, Halted does not) and QEMU frozen (SIGSTOP/SIGCONT)")
    void qemuKilledAndFrozen() throws Exception {
        Assumptions.assumeTrue(pids.size() == RUNNING_VMS.size(), "needs all the running guests");
        // frozen: run-1
        long frozen = pids.get("run-1");
        Signals.stop(frozen);
        try {
            VirtualMachineStatus s = await("run-1 AgentResponsive False", Duration.ofSeconds(90),
                    () -> status("run-1"), st -> is(st, ConditionTypes.AGENT_RESPONSIVE, "False"));
            assertEquals(ConditionTypes.REASON_TIMEOUT, cond(s, ConditionTypes.AGENT_RESPONSIVE).getReason());
            assertEquals(Phase.Running, s.getPhase());
            assertNotNull(s.getGuest().getOsInfo(), "last known good guest info kept");
            Summary.check("SIGSTOP of QEMU: AgentResponsive False (Timeout), phase still Running, guest info kept");
        } finally {
            Signals.cont(frozen);
        }
        await("run-1 AgentResponsive True again", Duration.ofSeconds(120), () -> status("run-1"),
                ReliabilityIT::healthy);
        assertSamePids(List.of("run-1"), null);
        Summary.check("SIGCONT: AgentResponsive True again, same pid");

        // killed under RerunOnFailure: run-0
        long old = pids.get("run-0");
        Signals.kill9(old);
        VirtualMachineStatus s = await("run-0 restarted", Duration.ofSeconds(180), () -> status("run-0"),
                st -> healthy(st) && qemuPid(st) != old);
        pids.put("run-0", qemuPid(s));
        assertTrue(!Sys.alive(old) || !Sys.qemuPids(uids.get("run-0")).contains(old));
        assertOneQemuEach(List.of("run-0"));
        Summary.check("kill -9 of QEMU under RerunOnFailure: a new QEMU (pid " + old + " -> " + qemuPid(s)
                + "), booted to AgentResponsive True, exactly one QEMU");

        // Halted: run-2 (runStrategy Always) is switched to Halted; its QEMU is killed while the stop is under way
        long p2 = pids.remove("run-2");
        k.resources(VirtualMachine.class).inNamespace(NS).withName("run-2")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"runStrategy\":\"Halted\"}}");
        VirtualMachineStatus st2 = await("run-2 Stopping or Stopped", Duration.ofSeconds(60), () -> status("run-2"),
                st -> st.getPhase() == Phase.Stopping || st.getPhase() == Phase.Stopped);
        boolean killed = false;
        if (Sys.alive(p2)) {
            Signals.kill9(p2);
            killed = true;
        }
        await("run-2 Stopped", Duration.ofSeconds(60), () -> status("run-2"),
                st -> st.getPhase() == Phase.Stopped && qemuPid(st) == null);
        Thread.sleep(5000);
        VirtualMachineStatus after = status("run-2");
        assertEquals(Phase.Stopped, after.getPhase());
        // not is(..., "False"): the driver's conditions can vanish (see driverConditionsSurviveOperatorWrites)
        assertTrue(!is(after, ConditionTypes.RUNNING, "True"), json(after));
        assertTrue(Sys.qemuPids(uids.get("run-2")).isEmpty(), "Halted: not restarted");
        Summary.check("Halted: " + (killed ? "QEMU killed -9 during the stop (" + st2.getPhase() + ")"
                : "guest had already stopped gracefully") + "; stays Stopped with no QEMU for 5 s, Running False");
        assertTrue(driver.isAlive());
    }

    /** A bad value: the JSON merge applied to a valid spec, and the field the 422 or the condition must name. */
    record Bad(String what, String specPatch, String field) {
    }

    @Test
    @Order(8)
    @DisplayName("7 VM specs with every kind of bad value: 422 naming the field, or a clear condition")
    void badValues() throws Exception {
        String k0 = TinyGuest.kernel().toString();
        List<Bad> cases = List.of(
                new Bad("memory not a quantity", "{\"memory\":\"lots\"}", "spec.memory"),
                new Bad("memory below 16Mi", "{\"memory\":\"1Ki\"}", "spec.memory"),
                new Bad("memory negative", "{\"memory\":\"-1Gi\"}", "spec.memory"),
                new Bad("memory missing", "{\"memory\":null}", "spec.memory"),
                new Bad("cpu.cores 0", "{\"cpu\":{\"cores\":0}}", "spec.cpu.cores"),
                new Bad("cpu.cores 100000", "{\"cpu\":{\"cores\":100000}}", "spec.cpu.cores"),
                new Bad("cpu.cores a string", "{\"cpu\":{\"cores\":\"many\"}}", "spec.cpu.cores"),
                new Bad("runStrategy unknown", "{\"runStrategy\":\"Sometimes\"}", "spec.runStrategy"),
                new Bad("no boot source", "{\"boot\":null}", "spec"),
                new Bad("kernel relative", "{\"boot\":{\"kernel\":\"vmlinuz\"}}", "spec.boot.kernel"),
                new Bad("kernel with ..", "{\"boot\":{\"kernel\":\"" + guestDir + "/../../../../etc/passwd\"}}",
                        "spec.boot.kernel"),
                new Bad("kernel empty", "{\"boot\":{\"kernel\":\"\"}}", "spec.boot.kernel"),
                new Bad("initrd outside the image dirs", "{\"boot\":{\"initrd\":\"/etc/passwd\"}}",
                        "spec.boot.initrd"),
                new Bad("cmdline over 4096", "{\"boot\":{\"cmdline\":\"" + "x".repeat(5000) + "\"}}",
                        "spec.boot.cmdline"),
                new Bad("disk name not a DNS label", "{\"disks\":[{\"name\":\"Bad_Name\",\"path\":\"" + k0 + "\"}]}",
                        "spec.disks[0].name"),
                new Bad("disk format unknown", "{\"disks\":[{\"name\":\"d\",\"path\":\"" + k0
                        + "\",\"format\":\"vmdk\"}]}", "spec.disks[0].format"),
                new Bad("disk names duplicated", "{\"disks\":[{\"name\":\"d\",\"path\":\"" + k0 + "\"},{\"name\":"
                        + "\"d\",\"path\":\"" + k0 + "\"}]}", "spec.disks[1].name"),
                new Bad("disk path outside", "{\"disks\":[{\"name\":\"d\",\"path\":\"/etc/shadow\"}]}",
                        "spec.disks[0].path"),
                new Bad("responseTimeout -3", "{\"guestAgent\":{\"responseTimeout\":-3}}",
                        "spec.guestAgent.responseTimeout"),
                new Bad("responseTimeout Forever", "{\"guestAgent\":{\"responseTimeout\":\"Forever\"}}",
                        "spec.guestAgent.responseTimeout"),
                new Bad("commandTimeouts bad command", "{\"guestAgent\":{\"commandTimeouts\":{\"rm -rf\":3}}}",
                        "spec.guestAgent.commandTimeouts"),
                new Bad("commandTimeouts bad value", "{\"guestAgent\":{\"commandTimeouts\":{\"guest-ping\":-7}}}",
                        "spec.guestAgent.commandTimeouts"),
                new Bad("pollIntervals 0s", "{\"guestAgent\":{\"pollIntervals\":{\"users\":\"0s\"}}}",
                        "spec.guestAgent.pollIntervals.users"),
                new Bad("pollIntervals not a duration", "{\"guestAgent\":{\"pollIntervals\":{\"osInfo\":\"soon\"}}}",
                        "spec.guestAgent.pollIntervals.osInfo"),
                new Bad("blockedCommands not a command", "{\"guestAgent\":{\"blockedCommands\":[\"shutdown\"]}}",
                        "spec.guestAgent.blockedCommands"),
                new Bad("unresponsiveAfter 0", "{\"guestAgent\":{\"unresponsiveAfter\":0}}",
                        "spec.guestAgent.unresponsiveAfter"));
        long operatorPid = operator.pid();
        long driverPid = driver.pid();
        int operatorStarts = operator.starts();
        int driverStarts = driver.starts();
        Map<String, String> rejected = new LinkedHashMap<>();
        Map<String, Bad> accepted = new LinkedHashMap<>();
        for (int i = 0; i < cases.size(); i++) {
            Bad c = cases.get(i);
            String name = "bad-" + i;
            Map<String, Object> spec = badSpec(c.specPatch());
            GenericKubernetesResource r = new GenericKubernetesResource();
            r.setApiVersion(Agentvisor.API_VERSION);
            r.setKind("VirtualMachine");
            r.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).withLabels(Map.of("e2e", "bad"))
                    .build());
            r.setAdditionalProperty("spec", spec);
            try {
                GenericKubernetesResource created = k.genericKubernetesResources(VMS).inNamespace(NS).resource(r)
                        .create();
                uids.put(name, created.getMetadata().getUid());
                accepted.put(name, c);
            } catch (KubernetesClientException e) {
                assertEquals(422, e.getCode(), c.what() + ": " + e.getMessage());
                // the apiserver names list fields without their index (spec.disks.name)
                String field = c.field().replaceAll("\\[\\d+\\]", "");
                assertTrue(e.getMessage().contains(field), c.what() + ": the 422 names " + field + ": "
                        + e.getMessage());
                rejected.put(c.what(), e.getMessage());
            }
        }
        for (var e : rejected.entrySet()) {
            String m = e.getValue();
            Summary.check("422 " + e.getKey() + ": " + shortened(m.contains("Message: ")
                    ? m.substring(m.indexOf("Message: ") + 9) : m));
        }
        for (var e : accepted.entrySet()) {
            String name = e.getKey();
            Bad c = e.getValue();
            VirtualMachineStatus s = await(c.what() + ": a clear condition naming " + c.field(), Duration.ofSeconds(60),
                    () -> status(name), st -> clearCondition(st, c.field()) != null);
            Condition why = clearCondition(s, c.field());
            assertTrue(s.getPhase() != Phase.Running, c.what() + ": must not run");
            assertTrue(Sys.qemuPids(uids.get(name)).isEmpty(), c.what() + ": no QEMU");
            Summary.check("accepted, then " + why.getType() + "=" + why.getStatus() + " (" + why.getReason() + ") "
                    + c.what() + ": " + shortened(why.getMessage()));
        }
        Thread.sleep(5000);
        assertTrue(operator.isAlive() && driver.isAlive(), "operator and driver still run");
        assertEquals(operatorPid, operator.pid());
        assertEquals(driverPid, driver.pid());
        assertEquals(operatorStarts, operator.starts());
        assertEquals(driverStarts, driver.starts());
        assertEquals(1, count(operator.currentLog(), "Listening on"), "the operator did not restart");
        assertEquals(1, count(driver.currentLog(), "Listening on"), "the driver did not restart");
        assertSamePids(live(), null);
        Summary.check(cases.size() + " bad specs (" + rejected.size() + " rejected with 422, " + accepted.size()
                + " flagged by a condition): operator and driver pids unchanged, no restart in their logs, "
                + "running VMs untouched");
        k.resources(VirtualMachine.class).inNamespace(NS).withLabel("e2e", "bad").delete();
    }

    static Map<String, Object> badSpec(String patch) throws IOException {
        Map<String, Object> boot = new LinkedHashMap<>(Map.of("kernel", TinyGuest.kernel().toString(), "initrd",
                TinyGuest.initrd().toString(), "cmdline", "console=ttyS0 quiet"));
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("runStrategy", "Always");
        spec.put("memory", "128Mi");
        spec.put("boot", boot);
        spec.put("nodeSelector", Map.of(POOL, "a"));
        @SuppressWarnings("unchecked")
        Map<String, Object> p = JSON.readValue(patch, Map.class);
        merge(spec, p);
        return spec;
    }

    @SuppressWarnings("unchecked")
    static void merge(Map<String, Object> target, Map<String, Object> patch) {
        for (var e : patch.entrySet()) {
            if (e.getValue() == null) {
                target.remove(e.getKey());
            } else if (e.getValue() instanceof Map<?, ?> m && target.get(e.getKey()) instanceof Map<?, ?> t) {
                Map<String, Object> copy = new LinkedHashMap<>((Map<String, Object>) t);
                merge(copy, (Map<String, Object>) m);
                target.put(e.getKey(), copy);
            } else {
                target.put(e.getKey(), e.getValue());
            }
        }
    }

    /** SpecValid False, Scheduled False, or the driver's Running False (Failed) whose message names the field. */
    static Condition clearCondition(VirtualMachineStatus s, String field) {
        for (String type : List.of(ConditionTypes.SPEC_VALID, ConditionTypes.SCHEDULED, ConditionTypes.RUNNING)) {
            Condition c = cond(s, type);
            if (c != null && "False".equals(c.getStatus()) && c.getMessage() != null
                    && c.getMessage().contains(field)) {
                return c;
            }
        }
        return null;
    }

    static String shortened(String s) {
        String one = s == null ? "" : s.replace('\n', ' ');
        return one.length() > 200 ? one.substring(0, 200) + "..." : one;
    }

    static int count(String s, String needle) {
        int n = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    @Order(9)
    @DisplayName("8a kernel outside the allowed directories (operator check and the driver's own check)")
    void kernelOutsideAllowedDirs() throws Exception {
        long driverPid = driver.pid();
        // (1) outside every allowed directory: the operator flags it and does not place it
        GenericKubernetesResource r = new GenericKubernetesResource();
        r.setApiVersion(Agentvisor.API_VERSION);
        r.setKind("VirtualMachine");
        r.setMetadata(new ObjectMetaBuilder().withName("outside").withNamespace(NS).build());
        r.setAdditionalProperty("spec", badSpec("{\"boot\":{\"kernel\":\"/etc/hostname\",\"initrd\":null}}"));
        uids.put("outside", k.genericKubernetesResources(VMS).inNamespace(NS).resource(r).create().getMetadata()
                .getUid());
        VirtualMachineStatus s = await("SpecValid False naming spec.boot.kernel", Duration.ofSeconds(60),
                () -> status("outside"), st -> is(st, ConditionTypes.SPEC_VALID, "False"));
        String msg = cond(s, ConditionTypes.SPEC_VALID).getMessage();
        assertTrue(msg.contains("spec.boot.kernel") && msg.contains("outside the allowed image directories"), msg);
        assertTrue(is(s, ConditionTypes.SCHEDULED, "False"), json(s));
        assertTrue(Sys.qemuPids(uids.get("outside")).isEmpty());
        Summary.check("kernel /etc/hostname: SpecValid False '" + shortened(msg) + "', Scheduled False ("
                + cond(s, ConditionTypes.SCHEDULED).getReason() + "), no QEMU");

        // (2) allowed by the operator's configuration but not by the driver's: the driver refuses on its own
        r.setMetadata(new ObjectMetaBuilder().withName("driver-refuses").withNamespace(NS).build());
        r.setAdditionalProperty("spec", badSpec("{\"boot\":{\"kernel\":\"" + extraImages.resolve("vmlinuz")
                + "\",\"initrd\":null}}"));
        uids.put("driver-refuses", k.genericKubernetesResources(VMS).inNamespace(NS).resource(r).create()
                .getMetadata().getUid());
        s = await("the driver reports Failed", Duration.ofSeconds(60), () -> status("driver-refuses"),
                st -> st.getPhase() == Phase.Failed);
        String why = await("an InvalidSpec event naming the kernel", Duration.ofSeconds(30),
                () -> events("driver-refuses"), ev -> ev.contains(extraImages.resolve("vmlinuz").toString()));
        assertTrue(is(s, ConditionTypes.SPEC_VALID, "True"), "the operator accepted it: " + json(s));
        assertEquals(NODE, s.getNodeName());
        Thread.sleep(3000);
        assertTrue(Sys.qemuPids(uids.get("driver-refuses")).isEmpty(), "no QEMU");
        assertEquals(driverPid, driver.pid());
        assertTrue(driver.isAlive());
        Condition running = cond(status("driver-refuses"), ConditionTypes.RUNNING);
        Summary.check("kernel allowed by the operator but not the driver: placed, then phase Failed, event '"
                + shortened(why) + "', Running condition " + (running == null ? "MISSING (bug, see below)"
                : running.getStatus() + " " + running.getReason()) + ", no QEMU, driver pid unchanged");
        for (String name : List.of("outside", "driver-refuses")) {
            k.resources(VirtualMachine.class).inNamespace(NS).withName(name).delete();
        }
        await("both deleted", Duration.ofSeconds(60), () -> vm("outside") == null && vm("driver-refuses") == null,
                b -> b);
        Summary.check("both VMs deletable");
    }

    @Test
    @Order(10)
    @DisplayName("8b socket path over the AF_UNIX limit (second driver with a very long run dir)")
    void socketPathTooLong() throws Exception {
        Path base = Repo.shortTempDir("avlong");
        Path longRun = base.resolve("r".repeat(90));
        Files.createDirectories(longRun);
        runDirs.add(base);
        Path state = Repo.shortTempDir("avls");
        Component longDriver = driver("e2e-long", state, longRun, "long");
        others.add(longDriver);
        try {
            longDriver.start();
            // either it refuses to start with one clear line, or it runs and reports the VM clearly
            // (a refusal is logged from the startup observer, before Quarkus reports it is listening)
            await("the long-run-dir driver starts or exits", Duration.ofSeconds(90), longDriver::currentLog,
                    l -> !longDriver.isAlive() || (l.contains("Listening on") && !l.contains("cannot start")));
            if (!longDriver.isAlive()) {
                String log = longDriver.currentLog();
                assertTrue(log.contains("AF_UNIX") || log.contains("run dir") || log.contains("run-dir"),
                        "a driver that refuses the run dir says why:\n" + log);
                Summary.check("driver with a " + longRun.toString().length() + "-byte run dir refused to start, "
                        + "exit " + longDriver.exitCode() + ", with a clear message");
                return;
            }
            long pid = longDriver.pid();
            newVm("longsock", RunStrategy.Always, Map.of(), "long");
            VirtualMachineStatus s = await("longsock Failed with a message about the socket path",
                    Duration.ofSeconds(90), () -> status("longsock"), st -> st.getPhase() == Phase.Failed
                            && cond(st, ConditionTypes.RUNNING) != null
                            && String.valueOf(cond(st, ConditionTypes.RUNNING).getMessage()).contains("AF_UNIX"));
            assertEquals("e2e-long", s.getNodeName());
            Condition c = cond(s, ConditionTypes.RUNNING);
            Thread.sleep(5000);
            assertTrue(Sys.qemuPids(uids.get("longsock")).isEmpty(), "no QEMU");
            assertTrue(longDriver.isAlive());
            assertEquals(pid, longDriver.pid());
            assertEquals(1, count(longDriver.currentLog(), "Listening on"), "no restart");
            Summary.check("VM on a driver whose socket paths would be " + (longRun.toString().length() + 41)
                    + " bytes: phase Failed, Running False (" + c.getReason() + ") '" + shortened(c.getMessage())
                    + "', no QEMU, driver alive and not restarted");
            k.resources(VirtualMachine.class).inNamespace(NS).withName("longsock").delete();
            await("longsock deleted", Duration.ofSeconds(60), () -> vm("longsock") == null, b -> b);
            Summary.check("the VM is deletable");
        } finally {
            longDriver.close();
            for (long pid : Sys.qemuPids(base.toString())) {
                Sys.forceKill(pid);
            }
            deleteQuietly(state);
            deleteQuietly(base);
        }
    }

    static String events(String name) {
        StringBuilder b = new StringBuilder();
        for (var e : k.v1().events().inNamespace(NS).list().getItems()) {
            if (e.getInvolvedObject() != null && name.equals(e.getInvolvedObject().getName())) {
                b.append(e.getReason()).append(": ").append(e.getMessage()).append('\n');
            }
        }
        return b.toString();
    }

    @Test
    @Order(11)
    @DisplayName("7b a VM the driver refuses keeps the driver's Running=False condition with the reason")
    void driverConditionsSurviveOperatorWrites() throws Exception {
        GenericKubernetesResource r = new GenericKubernetesResource();
        r.setApiVersion(Agentvisor.API_VERSION);
        r.setKind("VirtualMachine");
        r.setMetadata(new ObjectMetaBuilder().withName("refused-cond").withNamespace(NS).build());
        r.setAdditionalProperty("spec", badSpec("{\"boot\":{\"kernel\":\"" + extraImages.resolve("vmlinuz")
                + "\",\"initrd\":null}}"));
        k.genericKubernetesResources(VMS).inNamespace(NS).resource(r).create();
        try {
            await("Running False naming the kernel, for 10 s in a row", Duration.ofSeconds(60), () -> {
                for (int i = 0; i < 10; i++) {
                    Condition c = cond(status("refused-cond"), ConditionTypes.RUNNING);
                    if (c == null || !"False".equals(c.getStatus()) || !c.getMessage().contains(extraImages.toString())) {
                        return false;
                    }
                    sleep(1000);
                }
                return true;
            }, b -> b);
        } finally {
            k.resources(VirtualMachine.class).inNamespace(NS).withName("refused-cond").delete();
        }
    }

    @Test
    @Order(12)
    @DisplayName("7c memory larger than any node (64Ei) is not placed")
    void hugeMemoryIsNotPlaced() throws Exception {
        GenericKubernetesResource r = new GenericKubernetesResource();
        r.setApiVersion(Agentvisor.API_VERSION);
        r.setKind("VirtualMachine");
        r.setMetadata(new ObjectMetaBuilder().withName("huge").withNamespace(NS).build());
        r.setAdditionalProperty("spec", badSpec("{\"memory\":\"64Ei\"}"));
        k.genericKubernetesResources(VMS).inNamespace(NS).resource(r).create();
        try {
            VirtualMachineStatus s = await("Scheduled or SpecValid False", Duration.ofSeconds(60), () -> status("huge"),
                    st -> is(st, ConditionTypes.SCHEDULED, "False") || is(st, ConditionTypes.SPEC_VALID, "False")
                            || st.getNodeName() != null);
            assertEquals(null, s.getNodeName(), "a 64Ei VM must not be placed: " + json(s));
        } finally {
            k.resources(VirtualMachine.class).inNamespace(NS).withName("huge").delete();
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    @Order(19)
    @DisplayName("5 agent faults between the driver and run-1's real agent (proxy): frozen, late replies, 100 MiB flood, killed and back")
    void agentFaults() throws Exception {
        String name = "run-1";
        Assumptions.assumeTrue(live().contains(name), "needs run-1 running");
        Path socket = runA.resolve(uids.get(name)).resolve("qga");
        Assumptions.assumeTrue(Files.exists(socket), "no agent socket at " + socket);
        Path real = socket.resolveSibling("qga.real");
        Map<String, Instant> started = startTimes(List.of(name));
        String hostname = status(name).getGuest().getHostname();
        String osId = status(name).getGuest().getOsInfo().getId();
        Files.move(socket, real); // QEMU keeps listening on the moved socket
        try (AgentFaultProxy proxy = AgentFaultProxy.start(socket, real)) {
            // the driver's open connection goes straight to QEMU: a restarted driver connects through the proxy
            driver.kill9();
            driver.start();
            awaitDriverStarted(driver);
            await(name + " healthy through the proxy", Duration.ofSeconds(120), () -> status(name),
                    st -> healthy(st) && proxy.connections() > 0);
            long driverPid = driver.pid();

            proxy.hold(true);
            VirtualMachineStatus frozen = await(name + ": frozen agent turns unresponsive", Duration.ofSeconds(120),
                    () -> status(name), st -> is(st, ConditionTypes.AGENT_RESPONSIVE, "False"));
            assertEquals(ConditionTypes.REASON_TIMEOUT, cond(frozen, ConditionTypes.AGENT_RESPONSIVE).getReason());
            assertEquals(Phase.Running, frozen.getPhase());
            assertEquals(hostname, frozen.getGuest().getHostname(), "last known good guest info kept");
            proxy.hold(false); // everything held back now arrives late
            await(name + " answers again", Duration.ofSeconds(120), () -> status(name), ReliabilityIT::healthy);
            Summary.check("frozen agent: AgentResponsive False (Timeout), phase Running, guest info kept; released: "
                    + "Responsive again");

            int timeout = appliedTimeout(status(name));
            proxy.delay(TimeUnit.SECONDS.toMillis(Math.max(timeout, 5) + 1));
            await(name + ": late replies count as timeouts", Duration.ofSeconds(120), () -> status(name),
                    st -> is(st, ConditionTypes.AGENT_RESPONSIVE, "False"));
            proxy.delay(0);
            VirtualMachineStatus after = await(name + " answers in time again", Duration.ofSeconds(120),
                    () -> status(name), ReliabilityIT::healthy);
            // a late reply taken for the next command would put a users list where the host name belongs
            assertEquals(hostname, after.getGuest().getHostname());
            assertEquals(osId, after.getGuest().getOsInfo().getId());
            Summary.check("replies " + (Math.max(timeout, 5) + 1) + " s late: timeouts, Unresponsive; on time again: "
                    + "Responsive, hostname and osInfo still the guest's (no late reply taken for another command)");

            long rssBefore = rssBytes(driverPid);
            proxy.flood(100L << 20);
            await("100 MiB flooded into the driver", Duration.ofSeconds(300), proxy::floodLeft, left -> left <= 0);
            long rssAfter = rssBytes(driverPid);
            VirtualMachineStatus flooded = await(name + " healthy after the flood", Duration.ofSeconds(120),
                    () -> status(name), ReliabilityIT::healthy);
            assertEquals(hostname, flooded.getGuest().getHostname());
            assertTrue(rssAfter - rssBefore < (300L << 20), "the driver did not buffer the flood: RSS "
                    + (rssBefore >> 20) + " -> " + (rssAfter >> 20) + " MiB");
            Summary.check("100 MiB of garbage from the agent side between calls: driver RSS " + (rssBefore >> 20)
                    + " -> " + (rssAfter >> 20) + " MiB, Responsive afterwards");

            int connectionsBefore = proxy.connections();
            proxy.floodAsReply(20L << 20); // a 20 MiB "reply" without a newline: over the 10 MiB cap
            VirtualMachineStatus capped = await(name + ": oversize reply is an agent error", Duration.ofSeconds(120),
                    () -> status(name), st -> is(st, ConditionTypes.AGENT_RESPONSIVE, "False")
                            && ConditionTypes.REASON_AGENT_ERROR.equals(cond(st, ConditionTypes.AGENT_RESPONSIVE).getReason()));
            assertTrue(capped.getAgent().getLastError().getMessage().contains("byte limit"),
                    capped.getAgent().getLastError().getMessage());
            await(name + " healthy after the oversize reply", Duration.ofSeconds(180), () -> status(name),
                    st -> healthy(st) && proxy.floodLeft() <= 0);
            assertTrue(proxy.connections() > connectionsBefore, "the driver dropped the connection and made a new one");
            Summary.check("a 20 MiB reply without a newline: AgentResponsive False (AgentError: '"
                    + capped.getAgent().getLastError().getMessage() + "'), connection dropped and re-opened, Responsive "
                    + "again; driver RSS " + (rssBytes(driverPid) >> 20) + " MiB");

            proxy.goAway();
            await(name + ": agent gone", Duration.ofSeconds(120), () -> status(name),
                    st -> is(st, ConditionTypes.AGENT_RESPONSIVE, "False"));
            Thread.sleep(3000);
            proxy.comeBack();
            await(name + ": agent back", Duration.ofSeconds(120), () -> status(name), ReliabilityIT::healthy);
            Summary.check("agent killed (connection and socket gone) and back 3 s later: Unresponsive, then Responsive "
                    + "by itself");

            assertEquals(driverPid, driver.pid(), "the driver survived every agent fault");
            assertTrue(driver.isAlive());
        } finally {
            Files.deleteIfExists(socket);
            Files.move(real, socket);
        }
        await(name + " healthy on the real socket again", Duration.ofSeconds(120), () -> status(name),
                ReliabilityIT::healthy);
        assertSamePids(List.of(name), started);
        assertOneQemuEach(List.of(name));
        Summary.check("no QEMU restarted (same pid and start time), one QEMU, status truthful on the real socket again");
    }

    static long rssBytes(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS for " + pid);
    }

    @Test
    @Order(20)
    @DisplayName("9 end of suite: nothing lost, no duplicate QEMU, status truthful")
    void finalAccounting() throws Exception {
        for (String name : live()) {
            await(name + " healthy", Duration.ofSeconds(60), () -> status(name), ReliabilityIT::healthy);
        }
        assertOneQemuEach(live());
        for (String name : RUNNING_VMS) {
            assertNotNull(vm(name), name + " still exists");
        }
        Summary.check("all " + RUNNING_VMS.size() + " VMs still exist; " + live().size()
                + " running ones healthy with exactly one QEMU each; run-2 stays Halted");
    }
}
