package io.agentvisor.driver.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.agent.ScriptedAgent;
import io.agentvisor.api.v1alpha1.Bounds;
import io.agentvisor.api.v1alpha1.GuestStatus;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineSpec;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.agentvisor.testsupport.Repo;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The packaged driver against what no well-behaved tenant or guest produces: a VirtualMachine stored while the schema
 * was looser than the Java types (it is named in the log; the VM watch goes on, so a VM created after it is served),
 * and a guest agent (the scripted one: a real qemu-ga cannot be made to) that reports 100,000 users, a 1 MiB host
 * name full of terminal escapes, an interface with 100,000 addresses and a bidi override in its name, a filesystem
 * of wrong types and deep junk, and a 5 MB array as its freeze state: the agent client keeps a bounded part of each
 * reply, the VM's status stays small, correct, marked truncated, and writable, and the agent counts as responsive. The
 * VM pod's QEMU is a real one without a guest ({@code -machine none}), its agent socket the scripted agent's.
 */
class HostileInputIT {
    static final String NS = "hostile-it";
    static final String NODE = "node-hostile";
    static final ResourceDefinitionContext VMS = ResourceDefinitionContext.fromResourceType(VirtualMachine.class);

    @Test
    void anUnreadableVmAndAFloodingGuestLeaveTheDriverServingAndTheStatusSmall() throws Exception {
        String users = "[" + String.join(",", java.util.Collections.nCopies(100_000,
                "{\"user\":\"u\\u001b[2J\",\"login-time\":1700000000.5}")) + "]";
        String hostname = "h\\u001b]0;pwned\\u0007\\n".repeat(1 << 16);
        String addresses = "[" + String.join(",", java.util.Collections.nCopies(100_000,
                "{\"ip-address-type\":\"ipv4\",\"ip-address\":\"10.0.0.1\",\"prefix\":24}")) + "]";
        String interfaces = "[{\"name\":\"\\u202eeth0\",\"hardware-address\":\"52:54:00:12:34:56\",\"ip-addresses\":"
                + addresses + "}]";
        // wrong types, numbers beyond any range, a junk field nested 60 deep, a newline in a mount point
        String filesystems = "[{\"name\":[\"x\"],\"mountpoint\":\"/data\\n\",\"type\":\"ext4\",\"used-bytes\":1e400,"
                + "\"total-bytes\":1000,\"junk\":" + "[".repeat(60) + "]".repeat(60) + "}]";
        // a 5 MB answer where a word is expected: once a 5 MB tree in the driver on every poll round
        String freeze = "[" + String.join(",", java.util.Collections.nCopies(1_000_000, "1234")) + "]";
        try (DriverTestbed bed = DriverTestbed.start(NS, NODE);
             ScriptedAgent agent = ScriptedAgent.start((conn, command, request) -> {
            switch (command) {
                case "guest-get-users" -> conn.send("{\"return\": " + users + "}\n");
                case "guest-get-host-name" -> conn.send("{\"return\": {\"host-name\": \"" + hostname + "\"}}\n");
                case "guest-network-get-interfaces" -> conn.send("{\"return\": " + interfaces + "}\n");
                case "guest-get-fsinfo" -> conn.send("{\"return\": " + filesystems + "}\n");
                case "guest-fsfreeze-status" -> conn.send("{\"return\": " + freeze + "}\n");
                case "guest-info" -> conn.send("{\"return\": {\"version\": \"7.2\", \"supported_commands\": ["
                        + "{\"name\": \"guest-fsfreeze-status\", \"enabled\": true}]}}\n");
                default -> conn.standard(command, request);
            }
        })) {
            KubernetesClient k = bed.k;
            DriverProcess driver = bed.driver();

            // a VM stored while unresponsiveAfter had no maximum, then the schema as committed
            CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(Repo.root()
                    .resolve("crds/virtualmachines.agentvisor.io.yaml")), CustomResourceDefinition.class);
            CustomResourceDefinition loose = Serialization.clone(crd);
            loose.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema().getProperties().get("spec")
                    .getProperties().get("guestAgent").getProperties().get("unresponsiveAfter").setMaximum(null);
            try {
                applyCrd(k, loose);
                bed.await("the bad VM stored", Duration.ofSeconds(30), () -> {
                    try {
                        k.genericKubernetesResources(VMS).inNamespace(NS).resource(Serialization.unmarshal(
                                "apiVersion: agentvisor.io/v1alpha1\nkind: VirtualMachine\nmetadata: {name: stored}\n"
                                        + "spec: {memory: 256Mi, guestAgent: {unresponsiveAfter: 3000000000}}\n",
                                GenericKubernetesResource.class)).create();
                        return true;
                    } catch (KubernetesClientException e) {
                        return false;
                    }
                }, ok -> ok);
            } finally {
                applyCrd(k, crd);
            }
            bed.await("the driver names the field", Duration.ofSeconds(60), driver::log,
                    l -> l.contains("VirtualMachine " + NS + "/stored cannot be read: spec.guestAgent.unresponsiveAfter:"
                            + " 3000000000 is out of range"));

            // a VM created after it: its pod, a real QEMU, the scripted agent on its agent socket
            VirtualMachineSpec spec = new VirtualMachineSpec();
            spec.setMemory(new Quantity("256Mi"));
            VirtualMachine vm = bed.createVm("flood", spec);
            operatorPolicy(bed, "flood");
            Pod pod = bed.createPod(vm, "vm-flood", p -> p);
            bed.startBareQemu(pod, agent.socket());

            VirtualMachineStatus s = bed.await("the flooding guest's status", Duration.ofSeconds(120),
                    () -> bed.status("flood"),
                    st -> st.getGuest() != null && st.getGuest().getUsers() != null
                            && st.getGuest().getHostname() != null && st.getGuest().getInterfaces() != null
                            && st.getGuest().getFilesystems() != null);
            GuestStatus g = s.getGuest();
            assertEquals(Bounds.USERS, g.getUsers().size());
            assertEquals("u\uFFFD[2J", g.getUsers().get(0).getUserName());
            assertEquals(Bounds.GUEST_STRING, g.getHostname().length());
            assertTrue(g.getHostname().startsWith("h\uFFFD]0;pwned\uFFFD\uFFFDh"), g.getHostname());
            assertTrue(g.getTruncated().contains("users: 100000 reported, 32 kept"), g.getTruncated().toString());
            assertTrue(g.getTruncated().contains("addresses (of the interfaces kept): 100000 reported, 16 kept"),
                    g.getTruncated().toString());
            assertEquals("\uFFFDeth0", g.getInterfaces().get(0).getName());
            assertEquals(Bounds.ADDRESSES, g.getInterfaces().get(0).getIpAddresses().size());
            assertEquals("10.0.0.1/24", g.getInterfaces().get(0).getIpAddresses().get(0));
            var fs = g.getFilesystems().get(0);
            assertEquals("/data\uFFFD", fs.getMountPoint());
            assertEquals(null, fs.getName());
            assertEquals(null, fs.getUsedBytes());
            assertEquals(1000L, fs.getTotalBytes());
            // the flood answered every poll: the agent is responsive, its freeze state read as not frozen
            assertEquals("Thawed", g.getFsFreeze());
            assertEquals(io.agentvisor.api.v1alpha1.AgentState.Responsive, s.getAgent().getState());
            String stored = Serialization.asJson(k.genericKubernetesResources(VMS).inNamespace(NS).withName("flood")
                    .get());
            int bytes = stored.getBytes(StandardCharsets.UTF_8).length;
            assertTrue(bytes < 16 * 1024, "the whole VM object is " + bytes + " bytes");

            int port = driver.httpPort(Duration.ofSeconds(5));
            HttpResponse<String> ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + port + "/q/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ready.statusCode(), ready.body());
        }
    }

    private static void applyCrd(KubernetesClient k, CustomResourceDefinition crd) {
        crd.getMetadata().setResourceVersion(null);
        k.apiextensions().v1().customResourceDefinitions().resource(crd).forceConflicts().serverSideApply();
    }

    /** What the operator would write: the effective agent settings and the node. */
    private static void operatorPolicy(DriverTestbed bed, String name) {
        bed.operatorStatus(name, DriverTestbed.agentPolicy(5, 2, "2s", "60s"));
    }
}
