package io.agentvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentvisor.api.v1alpha1.AgentPolicyStatus;
import io.agentvisor.api.v1alpha1.AgentState;
import io.agentvisor.api.v1alpha1.AgentStatus;
import io.agentvisor.api.v1alpha1.GuestAgentPolicy;
import io.agentvisor.api.v1alpha1.GuestAgentPolicySpec;
import io.agentvisor.api.v1alpha1.OsInfoStatus;
import io.agentvisor.api.v1alpha1.GuestStatus;
import io.agentvisor.api.v1alpha1.TimezoneStatus;
import io.agentvisor.api.v1alpha1.Phase;
import io.agentvisor.api.v1alpha1.QemuStatus;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.agentvisor.testsupport.KubeApiServer;
import io.agentvisor.testsupport.KubeApiServerExtension;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The cluster verbs against a real kube-apiserver. The VM's status is written here as the operator and the
 * driver would write it (their own suites test that they do); these tests are about what the CLI reads and
 * writes.
 */
@ExtendWith(KubeApiServerExtension.class)
class CliClusterIT {
    private static final String NS = "cli-verbs";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static KubeApiServer server;
    private static KubernetesClient client;

    @BeforeAll
    static void seed(KubeApiServer s) {
        server = s;
        client = s.client();
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
                .serverSideApply();
        GuestAgentPolicy policy = new GuestAgentPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName("web").withNamespace(NS).build());
        GuestAgentPolicySpec ps = new GuestAgentPolicySpec();
        ps.setSelector(new io.fabric8.kubernetes.api.model.LabelSelector());
        ps.setResponseTimeout(new IntOrString(3));
        policy.setSpec(ps);
        client.resource(policy).create();

        VirtualMachine vm = Cli.newVm(NS, "demo");
        vm = client.resource(vm).create();
        VirtualMachineStatus st = new VirtualMachineStatus();
        AgentPolicyStatus ap = new AgentPolicyStatus();
        ap.setResponseTimeout(3);
        ap.setSource("GuestAgentPolicy/" + NS + "/web");
        st.setAgentPolicy(ap);
        st.setNodeName("node-a");
        st.setPhase(Phase.Running);
        QemuStatus q = new QemuStatus();
        q.setPid(4242L);
        st.setQemu(q);
        AgentStatus a = new AgentStatus();
        a.setState(AgentState.Responsive);
        a.setResponseTimeout(3);
        a.setVersion("7.2.22");
        a.setLastContact(Instant.now().minusSeconds(30).toString());
        st.setAgent(a);
        GuestStatus g = new GuestStatus();
        OsInfoStatus os = new OsInfoStatus();
        os.setId("agentvisor-tiny");
        os.setPrettyName("Agentvisor Tiny Guest 1.0 (Debian 12 userland)");
        os.setKernelRelease("6.1.0-50-amd64");
        g.setOsInfo(os);
        g.setHostname("agentvisor-guest");
        TimezoneStatus tz = new TimezoneStatus();
        tz.setName("UTC");
        tz.setOffset(0);
        g.setTimezone(tz);
        st.setGuest(g);
        vm.setStatus(st);
        client.resource(vm).updateStatus();
        client.resource(Cli.newVm(NS, "fresh")).create(); // nothing reported yet
    }

    private static Cli cli(String... args) {
        return Cli.inCluster(server.kubeconfig(), NS, args);
    }

    @Test
    void statusPrintsACompactTable() {
        Cli r = cli("status");
        assertEquals(0, r.exit(), r.toString());
        String[] lines = r.out().strip().split("\n");
        assertTrue(lines[0].matches("NAME\\s+PHASE\\s+NODE\\s+AGENT\\s+TIMEOUT\\s+SOURCE\\s+OS\\s+PID\\s+AGE"), r.out());
        String demo = lines[1];
        assertTrue(demo.matches("demo\\s+Running\\s+node-a\\s+Responsive\\s+3s\\s+GuestAgentPolicy/cli-verbs/web\\s+"
                + "Agentvisor Tiny Guest 1\\.0 \\(Debian 12 userland\\)\\s+4242\\s+\\d+s"), demo);
        assertTrue(lines[2].matches("fresh\\s+Pending\\s+-\\s+-\\s+-\\s+-\\s+-\\s+-\\s+\\d+s"), lines[2]);
    }

    @Test
    void guestAgentTimeoutWithoutAValueShowsTheAppliedOneAndItsSource() {
        Cli r = cli("guest-agent-timeout", "demo");
        assertEquals(0, r.exit(), r.toString());
        assertEquals("demo: responseTimeout 3 (3s) from GuestAgentPolicy/cli-verbs/web; applied on node node-a",
                r.out().strip());
    }

    @Test
    void guestAgentTimeoutSetsTheVmsOwnValueKeepingTheUsersSpelling() {
        Cli r = cli("guest-agent-timeout", "fresh", "--timeout", "2");
        assertEquals(0, r.exit(), r.toString());
        assertEquals(new IntOrString(2), vm("fresh").getSpec().getGuestAgent().getResponseTimeout());
        r = cli("guest-agent-timeout", "fresh", "--timeout", "Block");
        assertEquals(0, r.exit(), r.toString());
        assertEquals(new IntOrString("Block"), vm("fresh").getSpec().getGuestAgent().getResponseTimeout());
    }

    @Test
    void guestAgentTimeoutWithPolicySetsThePolicys() {
        Cli r = cli("guest-agent-timeout", "demo", "--policy", "web", "--timeout", "NoWait");
        assertEquals(0, r.exit(), r.toString());
        GuestAgentPolicy p = client.resources(GuestAgentPolicy.class).inNamespace(NS).withName("web").get();
        assertEquals(new IntOrString("NoWait"), p.getSpec().getResponseTimeout());
        client.resources(GuestAgentPolicy.class).inNamespace(NS).withName("web")
                .edit(x -> { x.getSpec().setResponseTimeout(new IntOrString(3)); return x; });
    }

    @Test
    void badTimeoutValuesAreUsageErrorsAndChangeNothing() {
        String before = vm("demo").getMetadata().getResourceVersion();
        cli("guest-agent-timeout", "demo", "--timeout", "lots").assertOneLineError(ExitCode.USAGE);
        cli("guest-agent-timeout", "demo", "--timeout", "-3").assertOneLineError(ExitCode.USAGE);
        cli("guest-agent-timeout", "demo", "--policy", "web").assertOneLineError(ExitCode.USAGE);
        assertEquals(before, vm("demo").getMetadata().getResourceVersion());
    }

    @Test
    void guestInfoPrintsVirshShapeWithItsAgeAndJsonOnRequest() throws Exception {
        Cli r = cli("guestinfo", "demo");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("os.pretty-name        : Agentvisor Tiny Guest 1.0 (Debian 12 userland)"), r.out());
        assertTrue(r.out().contains("hostname              : agentvisor-guest"), r.out());
        assertTrue(r.out().contains("timezone.name         : UTC"), r.out());
        assertTrue(r.out().matches("(?s).*agent\\.last-contact    : \\S+ \\(\\d+s ago; still answering: stamped on status changes only\\).*"), r.out());
        Cli j = cli("guestinfo", "demo", "-o", "json");
        assertEquals(0, j.exit(), j.toString());
        JsonNode doc = JSON.readTree(j.out());
        assertEquals("agentvisor-guest", doc.path("guest").path("hostname").asText());
        assertEquals("Responsive", doc.path("agent").path("state").asText());
    }

    @Test
    void guestInfoNeedsEitherASocketOrAVm() {
        Cli.run("guestinfo").assertOneLineError(ExitCode.USAGE);
        Cli.run("guestinfo", "demo", "--socket", "/tmp/x.sock").assertOneLineError(ExitCode.USAGE);
    }

    @Test
    void aMissingVmIsAClusterErrorNamingIt() {
        Cli r = cli("guest-agent-timeout", "nope").assertOneLineError(ExitCode.CLUSTER_ERROR);
        assertTrue(r.err().contains("VirtualMachine cli-verbs/nope not found"), r.err());
    }

    @Test
    void anUnreachableApiFailsFastWithOneLine() throws Exception {
        Path kc = Files.createTempFile("kc", ".yaml");
        try {
            Files.writeString(kc, Files.readString(server.kubeconfig()).replaceAll("https://127\\.0\\.0\\.1:\\d+",
                    "https://127.0.0.1:1"));
            Cli r = assertTimeoutPreemptively(Duration.ofSeconds(60),
                    () -> Cli.run("status", "--kubeconfig", kc.toString()));
            r.assertOneLineError(ExitCode.CLUSTER_ERROR);
        } finally {
            Files.deleteIfExists(kc);
        }
    }

    @Test
    void theServerIsTrustedThroughTheKubeconfigsAuthorityOnly() throws Exception {
        String kubeconfig = Files.readString(server.kubeconfig());
        assertTrue(kubeconfig.contains("certificate-authority-data: "), kubeconfig);
        Path pki = server.dir().resolve("pki");
        Path kc = Files.createTempFile("kc", ".yaml");
        try {
            // the authority as a file instead of inline data
            Files.writeString(kc, kubeconfig.replaceAll("certificate-authority-data: \\S+",
                    "certificate-authority: " + pki.resolve("ca.crt")));
            Cli ok = Cli.run("status", "--kubeconfig", kc.toString(), "-n", NS);
            assertEquals(ExitCode.OK, ok.exit(), ok.err());
            // a certificate the server's was not issued by (the cluster's own client certificate) as the authority
            Files.writeString(kc, kubeconfig.replaceAll("certificate-authority-data: \\S+",
                    "certificate-authority: " + pki.resolve("apiserver-kubelet-client.crt")));
            Cli.run("status", "--kubeconfig", kc.toString(), "-n", NS).assertOneLineError(ExitCode.CLUSTER_ERROR);
        } finally {
            Files.deleteIfExists(kc);
        }
    }

    private static VirtualMachine vm(String name) {
        return client.resources(VirtualMachine.class).inNamespace(NS).withName(name).get();
    }

    // ---- agent-command VM 'JSON' through the cluster: a GuestCommand; here the test plays the node driver ----

    @Test
    void agentCommandThroughTheClusterCreatesAGuestCommandAndMapsItsOutcomeToTheSocketFormsExitCodes()
            throws Exception {
        record Case(String reason, String reply, int exit) {
        }
        for (Case c : java.util.List.of(new Case(null, "{\"host-name\":\"g\"}", ExitCode.OK),
                new Case("CommandError", null, ExitCode.COMMAND_ERROR), new Case("BlockedByPolicy", null,
                        ExitCode.COMMAND_ERROR), new Case("Timeout", null, ExitCode.NOT_RESPONDING),
                new Case("NotConnected", null, ExitCode.AGENT_ERROR), new Case("OutcomeUnknown", null,
                        ExitCode.AGENT_ERROR))) {
            java.util.concurrent.ExecutorService bg = java.util.concurrent.Executors.newSingleThreadExecutor();
            try {
                java.util.concurrent.Future<Cli> run = bg.submit(() -> cli("agent-command", "demo", "--timeout", "7",
                        "{\"execute\":\"guest-get-host-name\"}"));
                io.agentvisor.api.v1alpha1.GuestCommand gc = null;
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (gc == null && System.nanoTime() < deadline) {
                    gc = client.resources(io.agentvisor.api.v1alpha1.GuestCommand.class).inNamespace(NS).list()
                            .getItems().stream().filter(g -> g.getStatus() == null).findFirst().orElse(null);
                    Thread.sleep(50);
                }
                assertTrue(gc != null, "the CLI created a GuestCommand");
                assertEquals("demo", gc.getSpec().getVirtualMachine());
                assertEquals(io.agentvisor.api.v1alpha1.GuestCommandOperation.AgentCommand, gc.getSpec().getOperation());
                assertEquals("{\"execute\":\"guest-get-host-name\"}", gc.getSpec().getCommand());
                assertEquals(new IntOrString(7), gc.getSpec().getTimeout());
                io.agentvisor.api.v1alpha1.AgentOperationStatus st = new io.agentvisor.api.v1alpha1.AgentOperationStatus();
                st.setPhase(c.reason() == null ? io.agentvisor.api.v1alpha1.AgentOperationPhase.Succeeded
                        : io.agentvisor.api.v1alpha1.AgentOperationPhase.Failed);
                st.setReason(c.reason() == null ? "Succeeded" : c.reason());
                st.setReply(c.reply());
                st.setMessage(c.reason() == null ? null : "what the driver said");
                gc.setStatus(st);
                client.resources(io.agentvisor.api.v1alpha1.GuestCommand.class).inNamespace(NS).resource(gc)
                        .updateStatus();
                Cli r = run.get(60, java.util.concurrent.TimeUnit.SECONDS);
                if (c.reason() == null) {
                    assertEquals(ExitCode.OK, r.exit(), r.toString());
                    assertEquals("{\"return\":{\"host-name\":\"g\"}}", r.out().strip());
                } else {
                    r.assertOneLineError(c.exit());
                    assertTrue(r.err().contains("what the driver said") && r.err().contains(c.reason()), r.err());
                }
            } finally {
                bg.shutdownNow();
            }
        }
        cli("agent-command", "nope", "{\"execute\":\"guest-ping\"}").assertOneLineError(ExitCode.CLUSTER_ERROR);
        cli("agent-command", "demo", "{\"execute\":").assertOneLineError(ExitCode.USAGE);
    }
}
