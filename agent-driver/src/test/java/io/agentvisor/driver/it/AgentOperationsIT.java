package io.agentvisor.driver.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentvisor.api.v1alpha1.AgentOperationPhase;
import io.agentvisor.api.v1alpha1.AgentOperationStatus;
import io.agentvisor.api.v1alpha1.Agentvisor;
import io.agentvisor.api.v1alpha1.Boot;
import io.agentvisor.api.v1alpha1.ExecSpec;
import io.agentvisor.api.v1alpha1.GuestCommand;
import io.agentvisor.api.v1alpha1.GuestCommandOperation;
import io.agentvisor.api.v1alpha1.GuestCommandSpec;
import io.agentvisor.api.v1alpha1.GuestMaintenance;
import io.agentvisor.api.v1alpha1.GuestMaintenanceOperation;
import io.agentvisor.api.v1alpha1.GuestMaintenanceSpec;
import io.agentvisor.api.v1alpha1.RunStrategy;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineSpec;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.agentvisor.testsupport.KubeApiServer;
import io.agentvisor.testsupport.Repo;
import io.agentvisor.testsupport.TinyGuest;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Agent operations (GuestCommand, GuestMaintenance) run by the packaged driver against the real tiny guest of a VM
 * pod (set up as in {@link DriverIT}: the shared apiserver, a fake kubelet directory, the guest on the host): raw
 * commands with the VM's timeout, a command blocked by policy, exec with its exit code and output, file-system
 * freeze with its state in the VM's status and its thaw deadline, a manual thaw, the guest's clock, an operation
 * whose outcome a driver restart lost, and expiry after completion.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentOperationsIT {
    static final String NS = "ops-it";
    static final String NODE = "node-ops";
    static final String VM = "ops";
    static final ResourceDefinitionContext VMS = ResourceDefinitionContext.fromResourceType(VirtualMachine.class);
    static KubernetesClient k;
    static Path kubelet;
    static Path run;
    static Path logs;
    static DriverProcess driver;
    static TinyGuest guest;
    static int seq;

    @BeforeAll
    static void start() throws Exception {
        KubeApiServer api = KubeApiServer.shared();
        k = api.client();
        k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
                .serverSideApply();
        k.serviceAccounts().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.ServiceAccountBuilder()
                .withNewMetadata().withName("default").withNamespace(NS).endMetadata().build()).serverSideApply();
        k.nodes().resource(new NodeBuilder().withNewMetadata().withName(NODE).endMetadata().build()).create();
        kubelet = Repo.shortTempDir("avkl");
        run = Repo.shortTempDir("avdr");
        logs = Files.createTempFile("agent-driver", ".log");
        driver = new DriverProcess(api, NODE, run, kubelet, logs);
        driver.start();

        VirtualMachine vm = new VirtualMachine();
        vm.setMetadata(new ObjectMetaBuilder().withName(VM).withNamespace(NS).build());
        VirtualMachineSpec spec = new VirtualMachineSpec();
        spec.setRunStrategy(RunStrategy.Always);
        spec.setMemory(new Quantity("256Mi"));
        Boot boot = new Boot();
        boot.setKernel(TinyGuest.kernel().toString());
        boot.setInitrd(TinyGuest.initrd().toString());
        spec.setBoot(boot);
        vm.setSpec(spec);
        vm = k.resource(vm).create();
        operatorPolicy();
        Pod pod = k.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName("vm-" + VM)
                .withNamespace(NS).withLabels(Map.of("app.kubernetes.io/name", "agentvisor-vm", "agentvisor.io/vm", VM,
                        "agentvisor.io/vm-uid", vm.getMetadata().getUid()))
                .addNewOwnerReference().withApiVersion(Agentvisor.API_VERSION).withKind("VirtualMachine").withName(VM)
                .withUid(vm.getMetadata().getUid()).withController(true).endOwnerReference().endMetadata()
                .withNewSpec().withNodeName(NODE).withRestartPolicy("Always").withAutomountServiceAccountToken(false)
                .addNewContainer().withName("qemu").withImage("agentvisor/vm-launcher:test").endContainer()
                .endSpec().build()).create();
        guest = TinyGuest.boot();
        Path volumes = Files.createDirectories(kubelet.resolve("pods").resolve(pod.getMetadata().getUid())
                .resolve("volumes").resolve("kubernetes.io~empty-dir"));
        Files.createSymbolicLink(volumes.resolve("agentvisor-run"), guest.qmpSocket().getParent());
        await("the agent responsive", Duration.ofSeconds(120), AgentOperationsIT::vmStatus,
                s -> s.getAgent() != null && Boolean.TRUE.equals(s.getAgent().getResponsive()));
    }

    /** The operator's part of the VM's status: placed on NODE, timeout 3, guest-get-users blocked. */
    static void operatorPolicy() {
        GenericKubernetesResource st = new GenericKubernetesResource();
        st.setApiVersion(Agentvisor.API_VERSION);
        st.setKind("VirtualMachine");
        st.setMetadata(new ObjectMetaBuilder().withName(VM).withNamespace(NS).build());
        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("enabled", true);
        policy.put("responseTimeout", 3);
        policy.put("unresponsiveAfter", 2);
        policy.put("blockedCommands", List.of("guest-get-users"));
        policy.put("pollIntervals", Map.of("users", "2s", "osInfo", "20s", "interfaces", "60s", "filesystems", "60s",
                "agentInfo", "60s"));
        policy.put("source", "Default");
        st.setAdditionalProperty("status", Map.of("agentPolicy", policy, "nodeName", NODE));
        k.genericKubernetesResources(VMS).inNamespace(NS).withName(VM).subresource("status").patch(
                new PatchContext.Builder().withPatchType(PatchType.SERVER_SIDE_APPLY)
                        .withFieldManager(Agentvisor.OPERATOR_FIELD_MANAGER).withForce(true).build(), st);
    }

    @AfterAll
    static void stop() throws Exception {
        if (driver != null) {
            driver.close();
        }
        if (guest != null) {
            guest.close();
        }
        if (k != null) {
            k.resources(GuestCommand.class).inNamespace(NS).delete();
            k.resources(GuestMaintenance.class).inNamespace(NS).delete();
            k.pods().inNamespace(NS).withName("vm-" + VM).withGracePeriod(0).delete();
            k.resources(VirtualMachine.class).inNamespace(NS).withName(VM).delete();
            k.nodes().withName(NODE).delete();
        }
        System.out.println("---- driver log ----\n" + (driver == null ? "" : DriverIT.tail(driver.log(), 150)));
        Repo.deleteRecursively(run);
        Repo.deleteRecursively(kubelet);
        Files.deleteIfExists(logs);
    }

    // ---- GuestCommand ----

    @Test
    @Order(1)
    void aRawCommandRunsOnceWithTheVmsTimeoutAndItsReplyIsInStatus() throws Exception {
        AgentOperationStatus s = finished(command(GuestCommandOperation.AgentCommand,
                "{\"execute\":\"guest-get-host-name\"}", null, null));
        assertEquals(AgentOperationPhase.Succeeded, s.getPhase(), json(s));
        assertEquals("Succeeded", s.getReason());
        assertEquals("{\"host-name\":\"agentvisor-guest\"}", s.getReply());
        assertEquals(3, s.getResponseTimeout(), "the VM's effective timeout");
        assertEquals(NODE, s.getNode());
        assertNotNull(s.getStartTime());
        assertNotNull(s.getCompletionTime());

        AgentOperationStatus own = finished(command(GuestCommandOperation.AgentCommand, "{\"execute\":\"guest-ping\"}",
                null, new IntOrString("Block")));
        assertEquals(AgentOperationPhase.Succeeded, own.getPhase(), json(own));
        assertEquals(-2, own.getResponseTimeout(), "its own timeout");
    }

    @Test
    @Order(2)
    void typedFailuresBlockedByPolicyCommandErrorAndInvalid() throws Exception {
        AgentOperationStatus blocked = finished(command(GuestCommandOperation.AgentCommand,
                "{\"execute\":\"guest-get-users\"}", null, null));
        assertEquals(AgentOperationPhase.Failed, blocked.getPhase());
        assertEquals("BlockedByPolicy", blocked.getReason(), json(blocked));

        AgentOperationStatus unknown = finished(command(GuestCommandOperation.AgentCommand,
                "{\"execute\":\"guest-no-such-command\"}", null, null));
        assertEquals("CommandError", unknown.getReason(), json(unknown));
        assertEquals("CommandNotFound", unknown.getErrorClass());

        AgentOperationStatus invalid = finished(command(GuestCommandOperation.AgentCommand, null, null, null));
        assertEquals("Invalid", invalid.getReason(), json(invalid));
        assertTrue(invalid.getMessage().startsWith("spec.command: "), invalid.getMessage());
    }

    @Test
    @Order(3)
    void execCapturesTheExitCodeAndOutput() throws Exception {
        ExecSpec e = new ExecSpec();
        e.setPath("/bin/sh");
        e.setArgs(List.of("-c", "echo out; echo err >&2; cat; exit 3"));
        e.setInput("from stdin\n");
        AgentOperationStatus s = finished(command(GuestCommandOperation.Exec, null, e, null));
        assertEquals(AgentOperationPhase.Succeeded, s.getPhase(), json(s));
        assertEquals(3, s.getExec().getExitCode());
        assertEquals("out\nfrom stdin\n", s.getExec().getStdout());
        assertEquals("err\n", s.getExec().getStderr());
        assertNull(s.getExec().getTruncated());
    }

    // ---- GuestMaintenance ----

    @Test
    @Order(4)
    void aFreezeShowsInTheVmsStatusAndIsThawedAtItsDeadline() throws Exception {
        GuestMaintenance freeze = maintenance(GuestMaintenanceOperation.FsFreeze, m -> m.setThawAfterSeconds(8));
        AgentOperationStatus s = finished(freeze);
        assertEquals(AgentOperationPhase.Succeeded, s.getPhase(), json(s));
        assertEquals("1", s.getReply(), "the guest's /data (ext4 on a loop device) was frozen");
        assertNotNull(s.getThawDeadline());
        await("the VM's status says Frozen", Duration.ofSeconds(30), AgentOperationsIT::vmStatus,
                st -> st.getGuest() != null && "Frozen".equals(st.getGuest().getFsFreeze()));
        AgentOperationStatus thawed = await("the auto-thaw", Duration.ofSeconds(60),
                () -> get(GuestMaintenance.class, freeze.getMetadata().getName()).getStatus(),
                st -> st.getThawed() != null);
        assertTrue(thawed.getThawed().startsWith("auto-thaw at "), thawed.getThawed());
        await("the VM's status says Thawed", Duration.ofSeconds(30), AgentOperationsIT::vmStatus,
                st -> "Thawed".equals(st.getGuest().getFsFreeze()));
    }

    @Test
    @Order(5)
    void aThawBeforeTheDeadlineEndsTheFreeze() throws Exception {
        GuestMaintenance freeze = maintenance(GuestMaintenanceOperation.FsFreeze, m -> {
            m.setThawAfterSeconds(600);
            m.setMountpoints(List.of("/data"));
        });
        AgentOperationStatus frozen = finished(freeze);
        assertEquals(AgentOperationPhase.Succeeded, frozen.getPhase(), json(frozen));
        assertEquals("1", frozen.getReply(), "guest-fsfreeze-freeze-list [/data]");
        await("the VM's status says Frozen", Duration.ofSeconds(30), AgentOperationsIT::vmStatus,
                st -> st.getGuest() != null && "Frozen".equals(st.getGuest().getFsFreeze()));
        AgentOperationStatus thaw = finished(maintenance(GuestMaintenanceOperation.FsThaw, m -> { }));
        assertEquals(AgentOperationPhase.Succeeded, thaw.getPhase(), json(thaw));
        AgentOperationStatus f = await("the freeze marked thawed", Duration.ofSeconds(30),
                () -> get(GuestMaintenance.class, freeze.getMetadata().getName()).getStatus(), st -> st.getThawed() != null);
        assertTrue(f.getThawed().startsWith("thawed by GuestMaintenance "), f.getThawed());
        await("the VM's status says Thawed", Duration.ofSeconds(30), AgentOperationsIT::vmStatus,
                st -> "Thawed".equals(st.getGuest().getFsFreeze()));
    }

    @Test
    @Order(6)
    void setTimeSetsTheGuestsClock() throws Exception {
        Instant t = Instant.parse("2031-05-06T07:08:09Z");
        AgentOperationStatus s = finished(maintenance(GuestMaintenanceOperation.SetTime, m -> m.setTime(t.toString())));
        assertEquals(AgentOperationPhase.Succeeded, s.getPhase(), json(s));
        AgentOperationStatus time = finished(command(GuestCommandOperation.AgentCommand,
                "{\"execute\":\"guest-get-time\"}", null, null));
        long ns = Long.parseLong(time.getReply());
        Instant guestNow = Instant.ofEpochSecond(ns / 1_000_000_000L);
        assertTrue(!guestNow.isBefore(t) && guestNow.isBefore(t.plusSeconds(3600)), "guest time " + guestNow);
        // and back to the node's clock (no spec.time)
        assertEquals(AgentOperationPhase.Succeeded, finished(maintenance(GuestMaintenanceOperation.SetTime, m -> { }))
                .getPhase());
    }

    // ---- at most once, expiry ----

    @Test
    @Order(7)
    void anOperationLeftRunningByAnEarlierDriverFailsAsOutcomeUnknownAndIsNotSent() throws Exception {
        // a VM no driver runs: nobody claims it; then it looks as if this node's driver had claimed it and died
        GuestCommand op = newCommand(GuestCommandOperation.AgentCommand, "{\"execute\":\"guest-ping\"}", null, null);
        op.getSpec().setVirtualMachine("elsewhere");
        op = k.resource(op).create();
        AgentOperationStatus running = new AgentOperationStatus();
        running.setPhase(AgentOperationPhase.Running);
        running.setNode(NODE);
        op.setStatus(running);
        k.resources(GuestCommand.class).inNamespace(NS).resource(op).updateStatus();
        AgentOperationStatus s = finished(op);
        assertEquals(AgentOperationPhase.Failed, s.getPhase());
        assertEquals("OutcomeUnknown", s.getReason(), json(s));
    }

    @Test
    @Order(8)
    void aFinishedOperationIsDeletedAfterItsTtl() throws Exception {
        GuestCommand op = newCommand(GuestCommandOperation.AgentCommand, "{\"execute\":\"guest-ping\"}", null, null);
        op.getSpec().setTtlSecondsAfterFinished(2);
        String name = k.resource(op).create().getMetadata().getName();
        await("deleted after its ttl", Duration.ofSeconds(60), () -> k.resources(GuestCommand.class).inNamespace(NS)
                .withName(name).get() == null, gone -> gone);
    }

    // ---- helpers ----

    static GuestCommand newCommand(GuestCommandOperation op, String command, ExecSpec exec, IntOrString timeout) {
        GuestCommand c = new GuestCommand();
        c.setMetadata(new ObjectMetaBuilder().withName("cmd-" + (++seq)).withNamespace(NS).build());
        GuestCommandSpec s = new GuestCommandSpec();
        s.setVirtualMachine(VM);
        s.setOperation(op);
        s.setCommand(command);
        s.setExec(exec);
        s.setTimeout(timeout);
        c.setSpec(s);
        return c;
    }

    static GuestCommand command(GuestCommandOperation op, String command, ExecSpec exec, IntOrString timeout) {
        return k.resource(newCommand(op, command, exec, timeout)).create();
    }

    static GuestMaintenance maintenance(GuestMaintenanceOperation op, java.util.function.Consumer<GuestMaintenanceSpec> f) {
        GuestMaintenance m = new GuestMaintenance();
        m.setMetadata(new ObjectMetaBuilder().withName("maint-" + (++seq)).withNamespace(NS).build());
        GuestMaintenanceSpec s = new GuestMaintenanceSpec();
        s.setVirtualMachine(VM);
        s.setOperation(op);
        f.accept(s);
        m.setSpec(s);
        return k.resource(m).create();
    }

    @SuppressWarnings("unchecked")
    static <T extends CustomResource<?, AgentOperationStatus>> AgentOperationStatus finished(T op) throws Exception {
        Class<T> kind = (Class<T>) op.getClass();
        return await(kind.getSimpleName() + " " + op.getMetadata().getName() + " finished", Duration.ofSeconds(90),
                () -> get(kind, op.getMetadata().getName()).getStatus(), s -> s != null
                        && (s.getPhase() == AgentOperationPhase.Succeeded || s.getPhase() == AgentOperationPhase.Failed));
    }

    static <T extends CustomResource<?, AgentOperationStatus>> T get(Class<T> kind, String name) {
        return k.resources(kind).inNamespace(NS).withName(name).get();
    }

    static VirtualMachineStatus vmStatus() {
        VirtualMachine vm = k.resources(VirtualMachine.class).inNamespace(NS).withName(VM).get();
        return vm == null || vm.getStatus() == null ? new VirtualMachineStatus() : vm.getStatus();
    }

    static <T> T await(String what, Duration max, Supplier<T> get, Predicate<T> ok) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        T last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = get.get();
                if (ok.test(last)) {
                    return last;
                }
            } catch (RuntimeException e) {
                // keep trying until the deadline
            }
            Thread.sleep(200);
        }
        throw new AssertionError(what + " not reached within " + max + "; last: " + json(last) + "\ndriver log:\n"
                + DriverIT.tail(driver.log(), 60));
    }

    static String json(Object o) {
        try {
            return new ObjectMapper().writeValueAsString(o);
        } catch (java.io.IOException e) {
            return String.valueOf(o);
        }
    }
}
