package io.agentvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.testsupport.KubeApiServer;
import io.agentvisor.testsupport.KubeApiServerExtension;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Objects a tenant or a guest controls, on a real kube-apiserver: strings that would forge table rows or drive
 * the terminal, and numbers the Java types cannot hold, stored while the schema had no bound for them (the CRD is
 * put back to what crds/ says afterwards, as a schema change would).
 */
@ExtendWith(KubeApiServerExtension.class)
class CliHostileObjectsIT {
    private static final String NS = "cli-hostile";
    private static final String CRD = "virtualmachines.agentvisor.io";
    private static final ResourceDefinitionContext VMS = ResourceDefinitionContext.fromResourceType(VirtualMachine.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String FORGED_HOSTNAME = "evil\nforged   Running   node-x   Responsive   3s";
    private static final String ESC_OS = "\u001b[2J\u001b[31mowned\u001b]0;title\u0007";
    private static final String BIDI_USER = "root\u202egnp.exe";
    private static final String HOSTILE_IF = "eth0\r\u009b31m\u007f\u2066x";

    private static KubeApiServer server;
    private static KubernetesClient client;

    @BeforeAll
    static void seed(KubeApiServer s) throws Exception {
        server = s;
        client = s.client();
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
                .serverSideApply();
        // the schema as it was before it got maxima: out-of-range numbers are stored
        CustomResourceDefinition current = client.apiextensions().v1().customResourceDefinitions().withName(CRD).get();
        CustomResourceDefinition old = Serialization.clone(current);
        JSONSchemaProps root = old.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
        root.getProperties().get("spec").getProperties().get("guestAgent").getProperties().get("unresponsiveAfter")
                .setMaximum(null);
        JSONSchemaProps agent = root.getProperties().get("status").getProperties().get("agent");
        agent.getProperties().get("responseTimeout").setMaximum(null);
        client.resource(old).update();
        try {
            create("fine", "", null);
            create("big-spec", ",\"guestAgent\":{\"unresponsiveAfter\":3000000000}", null);
            create("big-status", "", "{\"phase\":\"Running\",\"agent\":{\"state\":\"Responsive\","
                    + "\"responseTimeout\":3000000000}}");
            create("hostile", "", "{\"phase\":\"Running\",\"nodeName\":\"node-a\",\"agent\":{\"state\":\"Responsive\","
                    + "\"responseTimeout\":3},\"guest\":{\"hostname\":" + json(FORGED_HOSTNAME) + ",\"osInfo\":"
                    + "{\"prettyName\":" + json(ESC_OS) + "},\"users\":[{\"userName\":" + json(BIDI_USER) + "}],"
                    + "\"interfaces\":[{\"name\":" + json(HOSTILE_IF) + ",\"ipAddresses\":[\"10.0.2.15/24\"]}]}}");
        } finally {
            // back to the schema crds/ defines (with or without maxima): stored objects stay as they are
            CustomResourceDefinition now = client.apiextensions().v1().customResourceDefinitions().withName(CRD).get();
            now.setSpec(current.getSpec());
            client.resource(now).update();
        }
    }

    @AfterAll
    static void cleanUp() {
        client.genericKubernetesResources(VMS).inNamespace(NS).delete();
    }

    private static String json(String s) throws Exception {
        return JSON.writeValueAsString(s);
    }

    private static void create(String name, String specExtra, String status) {
        GenericKubernetesResource vm = Serialization.unmarshal("{\"apiVersion\":\"agentvisor.io/v1alpha1\","
                + "\"kind\":\"VirtualMachine\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"" + NS + "\"},"
                + "\"spec\":{\"memory\":\"256Mi\",\"boot\":{\"kernel\":\"/var/lib/agentvisor/images/tiny-guest/vmlinuz\"}"
                + specExtra + "}}", GenericKubernetesResource.class);
        // a CRD update reaches the apiserver's validation a moment later: retry while the old bound still applies
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (true) {
            try {
                vm = client.genericKubernetesResources(VMS).inNamespace(NS).resource(vm).create();
                break;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 422 || System.nanoTime() > deadline) {
                    throw e;
                }
                sleep();
            }
        }
        if (status != null) {
            vm.setAdditionalProperty("status", Serialization.unmarshal(status, java.util.Map.class));
            while (true) {
                try {
                    client.genericKubernetesResources(VMS).inNamespace(NS).resource(vm).updateStatus();
                    break;
                } catch (KubernetesClientException e) {
                    if (e.getCode() != 422 || System.nanoTime() > deadline) {
                        throw e;
                    }
                    sleep();
                }
            }
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Cli cli(String... args) {
        return Cli.inCluster(server.kubeconfig(), NS, args);
    }

    @Test
    void anObjectTheTypesCannotHoldIsNamedWithItsFieldAndTheOthersAreListed() {
        for (boolean all : new boolean[] {false, true}) {
            Cli r = all ? cli("status", "-A") : cli("status");
            assertEquals(ExitCode.UNREADABLE_OBJECT, r.exit(), r.toString());
            List<String> err = r.err().lines().toList();
            assertEquals(1, err.size(), r.toString());
            assertTrue(err.get(0).startsWith("agentvisor: VirtualMachine " + NS + "/big-status: cannot read "
                    + "status.agent.responseTimeout: value 3000000000 is out of range of a 32-bit integer"), r.err());
            List<String> names = r.out().lines().skip(1)
                    .filter(l -> !all || l.startsWith(NS + " ")).map(l -> l.split("\\s+")[all ? 1 : 0]).toList();
            assertTrue(names.containsAll(List.of("big-spec", "fine", "hostile")), r.out());
            assertFalse(names.contains("big-status"), r.out());
        }
    }

    @Test
    void aVerbOnTheUnreadableObjectIsOneLineAndOthersStillWork() {
        Cli r = cli("guestinfo", "big-status").assertOneLineError(ExitCode.UNREADABLE_OBJECT);
        assertTrue(r.err().contains("VirtualMachine " + NS + "/big-status")
                && r.err().contains("status.agent.responseTimeout"), r.err());
        cli("guest-agent-timeout", "big-status").assertOneLineError(ExitCode.UNREADABLE_OBJECT);
        // the spec is never decoded by the CLI: a VM with an out-of-range spec field is shown normally
        Cli spec = cli("guestinfo", "big-spec");
        assertEquals(0, spec.exit(), spec.toString());
        assertTrue(spec.out().startsWith("vm                    : " + NS + "/big-spec"), spec.out());
    }

    @Test
    void hostileGuestStringsNeverReachTheTerminalRaw() {
        Cli status = cli("status");
        assertFalse(TerminalTextTest.hasControl(status.out() + status.err()), status.toString());
        List<String> rows = status.out().lines().toList();
        assertEquals(4, rows.size(), status.out()); // header + big-spec, fine, hostile: no forged row
        String hostile = rows.stream().filter(l -> l.startsWith("hostile ")).findFirst().orElseThrow();
        assertTrue(hostile.contains("\\e[2J\\e[31mowned\\e]0;title\\x07"), hostile);

        Cli info = cli("guestinfo", "hostile");
        assertEquals(0, info.exit(), info.toString());
        assertFalse(TerminalTextTest.hasControl(info.out()), info.out());
        assertTrue(info.out().contains("hostname              : evil\\nforged   Running"), info.out());
        assertTrue(info.out().contains("user.0.name           : root\\u202Egnp.exe"), info.out());
        assertTrue(info.out().contains("if.0.name             : eth0\\r\\u009B31m\\x7f\\u2066x"), info.out());
        assertTrue(info.out().lines().noneMatch(l -> l.startsWith("forged")), info.out());
    }

    @Test
    void jsonOutputKeepsTheExactStrings() throws Exception {
        Cli r = cli("guestinfo", "hostile", "-o", "json");
        assertEquals(0, r.exit(), r.toString());
        JsonNode guest = JSON.readTree(r.out()).path("guest");
        assertEquals(FORGED_HOSTNAME, guest.path("hostname").asText());
        assertEquals(ESC_OS, guest.path("osInfo").path("prettyName").asText());
        assertEquals(BIDI_USER, guest.path("users").path(0).path("userName").asText());
        assertEquals(HOSTILE_IF, guest.path("interfaces").path(0).path("name").asText());
    }
}
