package io.agentvisor.driver.it;

import static io.agentvisor.driver.it.DriverTestbed.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.api.v1alpha1.AgentOperationPhase;
import io.agentvisor.api.v1alpha1.AgentOperationStatus;
import io.agentvisor.api.v1alpha1.ExecSpec;
import io.agentvisor.api.v1alpha1.GuestCommand;
import io.agentvisor.api.v1alpha1.GuestCommandOperation;
import io.agentvisor.api.v1alpha1.GuestCommandSpec;
import io.agentvisor.api.v1alpha1.GuestMaintenance;
import io.agentvisor.api.v1alpha1.GuestMaintenanceOperation;
import io.agentvisor.api.v1alpha1.GuestMaintenanceSpec;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
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
    static DriverTestbed bed;
    static KubernetesClient k;
    static int seq;

    @BeforeAll
    static void start() throws Exception {
        bed = DriverTestbed.start(NS, NODE);
        k = bed.k;
        VirtualMachine vm = bed.createTinyGuestVm(VM, spec -> { });
        operatorPolicy();
        Pod pod = bed.createPod(vm, "vm-" + VM, p -> p);
        bed.bootGuest(pod);
        await("the agent responsive", Duration.ofSeconds(120), AgentOperationsIT::vmStatus,
                s -> s.getAgent() != null && Boolean.TRUE.equals(s.getAgent().getResponsive()));
    }

    /** The operator's part of the VM's status: placed on NODE, timeout 3, guest-get-users blocked. */
    static void operatorPolicy() {
        Map<String, Object> policy = DriverTestbed.agentPolicy(3, 2, "2s", "20s");
        policy.put("blockedCommands", List.of("guest-get-users"));
        bed.operatorStatus(VM, policy);
    }

    @AfterAll
    static void stop() throws Exception {
        if (bed != null) {
            k.resources(GuestCommand.class).inNamespace(NS).delete();
            k.resources(GuestMaintenance.class).inNamespace(NS).delete();
            bed.close();
        }
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
        return bed.status(VM);
    }

    static <T> T await(String what, Duration max, Supplier<T> get, Predicate<T> ok) throws InterruptedException {
        return bed.await(what, max, get::get, ok);
    }
}
