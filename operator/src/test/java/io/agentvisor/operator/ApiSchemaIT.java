package io.agentvisor.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.UUID;

import io.agentvisor.testsupport.KubeApiServer;
import io.agentvisor.testsupport.KubeApiServerExtension;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The committed CRDs on a real kube-apiserver: examples apply, invalid objects get 422 naming the field. */
@ExtendWith(KubeApiServerExtension.class)
class ApiSchemaIT {
    static final String NS = "schema-" + UUID.randomUUID().toString().substring(0, 6);
    static KubernetesClient client;

    @BeforeAll
    static void namespace(KubernetesClient c) {
        client = c;
        c.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
    }

    @Test
    void examplesApplyAndPrintTheirColumns(KubeApiServer server) {
        KubeApiServer.KubectlResult apply = server.kubectl("apply", "-n", NS, "-f", "examples/");
        assertEquals(0, apply.exitCode(), apply.output());
        assertTrue(apply.output().contains("virtualmachine.agentvisor.io/demo created"), apply.output());
        assertTrue(apply.output().contains("guestagentpolicy.agentvisor.io/demo created"), apply.output());
        KubeApiServer.KubectlResult vms = server.kubectl("get", "vm", "-n", NS);
        assertEquals(0, vms.exitCode(), vms.output());
        // the order users read them in (CrdFinisher), Age last as kubectl users expect
        assertEquals(List.of("NAME", "PHASE", "NODE", "AGENT", "TIMEOUT", "OS", "RESTARTS", "AGE"), header(vms.output()),
                vms.output());
        KubeApiServer.KubectlResult gaps = server.kubectl("get", "gap", "-n", NS);
        assertEquals(List.of("NAME", "PRIORITY", "TIMEOUT", "VMS", "AGE"), header(gaps.output()), gaps.output());
        assertTrue(gaps.output().contains("databases"), gaps.output());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "memory: lots | spec.memory",
            "memory: -1 | spec.memory",
            "memory: 256Mi, runStrategy: Sometimes | spec.runStrategy",
            "memory: 256Mi, cpu: {cores: 0} | spec.cpu.cores",
            "memory: 256Mi, guestAgent: {responseTimeout: Forever} | spec.guestAgent.responseTimeout",
            "memory: 256Mi, guestAgent: {responseTimeout: -3} | spec.guestAgent.responseTimeout",
            "memory: 256Mi, guestAgent: {commandTimeouts: {guest-ping: Never}} | spec.guestAgent.commandTimeouts.guest-ping",
            "memory: 256Mi, guestAgent: {blockedCommands: [shutdown]} | spec.guestAgent.blockedCommands",
            "memory: 256Mi, guestAgent: {pollIntervals: {users: 0s}} | spec.guestAgent.pollIntervals.users",
            "memory: 256Mi, disks: [{name: Root_Disk, path: /var/lib/agentvisor/images/a.img}] | spec.disks.name",
            "memory: 256Mi, disks: [{name: root, path: relative.img}] | spec.disks.path",
            "memory: 256Mi, disks: [{name: root, path: /x.img, format: vmdk}] | spec.disks.format",
            "memory: 256Mi, disks: [{name: root, persistentVolumeClaim: {claimName: Bad_Claim}}] | spec.disks.persistentVolumeClaim.claimName",
            "memory: 256Mi, disks: [{name: root, persistentVolumeClaim: {claimName: c, file: a/b}}] | spec.disks.persistentVolumeClaim.file",
            "memory: 256Mi, interfaces: [{name: default, ports: [{port: 70000}]}] | spec.interfaces.ports.port",
            "memory: 256Mi, interfaces: [{name: default, ports: [{port: 80, protocol: SCTP}]}] | spec.interfaces.ports.protocol",
            "memory: 256Mi, interfaces: [{name: a}, {name: b}] | spec.interfaces",
            "memory: 256Mi, priorityClassName: Not_A_Name | spec.priorityClassName",
            "memory: 256Mi, tolerations: [{key: '%s'}] | spec.tolerations.key",
            "memory: 256Mi, affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [%t]}}} | spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
            "cpu: {cores: 1} | spec.memory",
            "memory: 17592186044417 | spec.memory",
            "memory: 256Mi, guestAgent: {unresponsiveAfter: 3000000000} | spec.guestAgent.unresponsiveAfter",
            "memory: 256Mi, guestAgent: {responseTimeout: 3000000000} | spec.guestAgent.responseTimeout",
            "memory: 256Mi, guestAgent: {commandTimeouts: {guest-ping: 86401}} | spec.guestAgent.commandTimeouts.guest-ping",
            "memory: 256Mi, guestAgent: {blockedCommands: [%c]} | spec.guestAgent.blockedCommands",
            "memory: 256Mi, guestAgent: {pollIntervals: {users: '%d'}} | spec.guestAgent.pollIntervals.users",
            "memory: 256Mi, boot: {kernel: '/%p'} | spec.boot.kernel",
            "memory: 256Mi, tolerations: [{key: k, tolerationSeconds: 3000000000}] | spec.tolerations.tolerationSeconds",
            "memory: 256Mi, nodeSelector: {%n} | spec.nodeSelector",
            "memory: 256Mi, accessCredentials: [{}] | spec.accessCredentials",
            "memory: 256Mi, accessCredentials: [{userPassword: {secretName: a}, sshPublicKey: {secretName: b, users: [root]}}] | spec.accessCredentials",
            "memory: 256Mi, accessCredentials: [{userPassword: {secretName: Bad_Secret}}] | spec.accessCredentials.userPassword.secretName",
            "memory: 256Mi, accessCredentials: [{sshPublicKey: {secretName: keys, users: []}}] | spec.accessCredentials.sshPublicKey.users",
            "memory: 256Mi, accessCredentials: [{sshPublicKey: {secretName: keys}}] | spec.accessCredentials.sshPublicKey.users",
            "memory: 256Mi, accessCredentials: [{sshPublicKey: {secretName: keys, users: ['bad user']}}] | spec.accessCredentials.sshPublicKey.users",
            "memory: 256Mi, accessCredentials: [%a] | spec.accessCredentials" })
    void invalidVirtualMachinesAreRejectedNamingTheField(String template, String field) {
        // %s: a 2,000-character string, %t: 40 node selector terms (pass-through types are bounded too), %a: 17
        // access credentials
        String spec = template.replace("%s", "k".repeat(2000))
                .replace("%c", String.join(", ", java.util.Collections.nCopies(65, "guest-exec")))
                .replace("%d", "1".repeat(40) + "s").replace("%p", "p".repeat(5000))
                .replace("%n", String.join(", ", java.util.stream.IntStream.range(0, 40).mapToObj(i -> "k" + i + ": v")
                        .toList()))
                .replace("%t", String.join(", ", java.util.Collections.nCopies(40, "{matchExpressions: []}")))
                .replace("%a", String.join(", ", java.util.stream.IntStream.range(0, 17)
                        .mapToObj(i -> "{userPassword: {secretName: s" + i + "}}").toList()));
        KubernetesClientException e = assertThrows(KubernetesClientException.class,
                () -> create("VirtualMachine", "bad-vm", "{" + spec + "}"));
        assertEquals(422, e.getCode(), e.getMessage());
        assertTrue(e.getMessage().contains(field), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "priority: 1 | spec.selector",
            "selector: {}, responseTimeout: Sometime | spec.responseTimeout",
            "selector: {}, responseTimeout: -5 | spec.responseTimeout",
            "selector: {}, unresponsiveAfter: 0 | spec.unresponsiveAfter",
            "selector: {}, pollIntervals: {osInfo: soon} | spec.pollIntervals.osInfo",
            "selector: {}, blockedCommands: [guest-exec, 'rm -rf'] | spec.blockedCommands",
            "selector: {}, commandTimeouts: {guest-get-users: -9} | spec.commandTimeouts.guest-get-users",
            "selector: {}, priority: 3000000000 | spec.priority",
            "selector: {}, unresponsiveAfter: 1001 | spec.unresponsiveAfter",
            "selector: {matchLabels: {a: '%s'}} | spec.selector.matchLabels.a" })
    void invalidPoliciesAreRejectedNamingTheField(String spec, String field) {
        KubernetesClientException e = assertThrows(KubernetesClientException.class,
                () -> create("GuestAgentPolicy", "bad-gap", "{" + spec.replace("%s", "v".repeat(400)) + "}"));
        assertEquals(422, e.getCode(), e.getMessage());
        assertTrue(e.getMessage().contains(field), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = { "Block", "Default", "NoWait", "-2", "-1", "0", "30" })
    void everyTimeoutFormIsAccepted(String timeout) {
        String name = "t" + Math.abs(timeout.hashCode());
        create("GuestAgentPolicy", name, "{selector: {}, responseTimeout: " + timeout + ", commandTimeouts: "
                + "{guest-get-fsinfo: " + timeout + "}}");
        client.genericKubernetesResources("agentvisor.io/v1alpha1", "GuestAgentPolicy").inNamespace(NS)
                .withName(name).delete();
    }

    private static List<String> header(String table) {
        return List.of(table.lines().findFirst().orElse("").trim().split("\\s+"));
    }

    private static void create(String kind, String name, String spec) {
        String yaml = "apiVersion: agentvisor.io/v1alpha1\nkind: " + kind + "\nmetadata: {name: " + name
                + "}\nspec: " + spec + "\n";
        GenericKubernetesResource r = Serialization.unmarshal(yaml, GenericKubernetesResource.class);
        client.genericKubernetesResources("agentvisor.io/v1alpha1", kind).inNamespace(NS).resource(r).create();
    }
}
