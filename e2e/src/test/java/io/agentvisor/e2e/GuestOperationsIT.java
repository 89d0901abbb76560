package io.agentvisor.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentvisor.testsupport.BinAgentvisor;
import io.agentvisor.testsupport.ChartOnNode;
import io.agentvisor.testsupport.Cmd;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Agent operations as a cluster user has them, on the real node with the chart installed: only kubectl and
 * {@code bin/agentvisor} against the apiserver. Freeze and thaw a running guest's file system and see it in the
 * VM's status, set the guest's clock, run a program in the guest and get its exit code, run any agent command
 * with the VM's timeout and see the typed outcome (and the CLI's exit codes), and the chart's roles separate
 * maintenance from full control of the guest.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(Summary.class)
class GuestOperationsIT {
    static final String VM = "ops";
    static final String KEY_1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE2eE2eE2eE2eE2eE2eE2eE2eE2eE2eE2eE2eE2eE2e first@e2e";
    static final String KEY_2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF3fF3fF3fF3fF3fF3fF3fF3fF3fF3fF3fF3fF3fF3f second@e2e";
    static final String PASSWORD = "e2e-Pa55word-9f3a";

    static String secrets(String key) {
        return """
                apiVersion: v1
                kind: Secret
                metadata: {name: e2e-ssh}
                stringData: {laptop: "%s"}
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: e2e-passwords}
                stringData: {demo: "%s"}
                """.formatted(key, PASSWORD);
    }
    static ChartOnNode sys;

    @BeforeAll
    static void install() {
        sys = ChartOnNode.install();
        sys.apply("""
                apiVersion: agentvisor.io/v1alpha1
                kind: GuestAgentPolicy
                metadata:
                  name: e2e-ops
                spec:
                  selector: {matchLabels: {app: e2e-ops}}
                  priority: 10
                  responseTimeout: 4
                  blockedCommands: [guest-get-users]
                """);
        sys.apply(secrets(KEY_1));
        sys.apply("""
                apiVersion: agentvisor.io/v1alpha1
                kind: VirtualMachine
                metadata:
                  name: %s
                  labels: {app: e2e-ops}
                spec:
                  cpu: {cores: 1}
                  memory: 256Mi
                  boot:
                    kernel: %s/tiny-guest/vmlinuz
                    initrd: %s/tiny-guest/initramfs.cpio.gz
                    cmdline: console=ttyS0 quiet
                  guestAgent: {enabled: true}
                  accessCredentials:
                  - sshPublicKey: {secretName: e2e-ssh, users: [demo, root]}
                  - userPassword: {secretName: e2e-passwords}
                """.formatted(VM, sys.images, sys.images));
        await(VM + " Running with a responsive agent and guest info").atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofSeconds(1)).until(() -> {
                    JsonNode st = sys.vm(VM).path("status");
                    return "Running".equals(st.path("phase").asText())
                            && "Responsive".equals(st.path("agent").path("state").asText())
                            && !st.path("guest").path("hostname").asText().isEmpty();
                });
        await(VM + " applies the policy's timeout").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500))
                .until(() -> sys.vm(VM).path("status").path("agent").path("responseTimeout").asInt() == 4);
    }

    @AfterAll
    static void cleanUp() {
        if (sys != null) {
            sys.kubectlResult("delete", "guestcommands,guestmaintenances", "--all");
            sys.kubectlResult("delete", "vm", VM, "--wait=true", "--timeout=120s");
            sys.kubectlResult("delete", "guestagentpolicy", "e2e-ops", "--ignore-not-found");
            sys.kubectlResult("delete", "rolebinding", "e2e-maintainer", "--ignore-not-found");
            sys.kubectlResult("delete", "secret", "e2e-ssh", "e2e-passwords", "--ignore-not-found");
        }
    }

    /** {@code kubectl create} of one operation; its generated name. */
    static String createOperation(String kind, String spec) {
        String yaml = """
                apiVersion: agentvisor.io/v1alpha1
                kind: %s
                metadata: {generateName: e2e-}
                spec: %s
                """.formatted(kind, spec);
        String out = sys.createFromText(yaml).strip(); // e.g. guestmaintenance.agentvisor.io/e2e-abcde
        return out.substring(out.indexOf('/') + 1);
    }

    /** The operation's status once it finished (Succeeded or Failed). */
    static JsonNode finished(String kind, String name) {
        AtomicReference<JsonNode> st = new AtomicReference<>();
        await(kind + " " + name + " finished").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    JsonNode o = sys.get(kind, name);
                    st.set(o == null ? null : o.path("status"));
                    String phase = st.get() == null ? "" : st.get().path("phase").asText();
                    return phase.equals("Succeeded") || phase.equals("Failed");
                });
        return st.get();
    }

    static void awaitFsFreeze(String state) {
        await(VM + "'s status.guest.fsFreeze " + state).atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500))
                .until(() -> state.equals(sys.vm(VM).path("status").path("guest").path("fsFreeze").asText()));
    }

    /** {@code bin/agentvisor} as the cluster user (admin kubeconfig). */
    static Cmd.Result cli(String... args) {
        return BinAgentvisor.run(Map.of("KUBECONFIG", sys.cluster.kubeconfig().toString()), 180, args);
    }

    @Test
    @Order(1)
    void freezeAndThawAGuestsFileSystemAndSeeItInStatus() {
        String freeze = createOperation("GuestMaintenance",
                "{virtualMachine: " + VM + ", operation: FsFreeze, mountpoints: [/data], thawAfterSeconds: 600}");
        JsonNode frozen = finished("guestmaintenance", freeze);
        assertEquals("Succeeded", frozen.path("phase").asText(), frozen.toString());
        assertEquals("1", frozen.path("reply").asText(), "one file system frozen: " + frozen);
        assertTrue(!frozen.path("thawDeadline").asText().isEmpty(), "a thaw deadline: " + frozen);
        awaitFsFreeze("Frozen");
        Summary.check("GuestMaintenance FsFreeze [/data]: Succeeded, reply 1, thaw deadline " + frozen.path("thawDeadline")
                .asText() + "; kubectl get vm shows status.guest.fsFreeze Frozen");

        String thaw = createOperation("GuestMaintenance", "{virtualMachine: " + VM + ", operation: FsThaw}");
        JsonNode thawed = finished("guestmaintenance", thaw);
        assertEquals("Succeeded", thawed.path("phase").asText(), thawed.toString());
        awaitFsFreeze("Thawed");
        await("the freeze is marked thawed by the thaw").atMost(Duration.ofSeconds(30)).until(() ->
                sys.get("guestmaintenance", freeze).path("status").path("thawed").asText().startsWith("thawed by"));
        Summary.check("GuestMaintenance FsThaw: Succeeded; status.guest.fsFreeze Thawed; the freeze says "
                + sys.get("guestmaintenance", freeze).path("status").path("thawed").asText());
    }

    @Test
    @Order(2)
    void setTheGuestsClock() {
        Instant t = Instant.parse("2031-05-06T07:08:09Z");
        String set = createOperation("GuestMaintenance",
                "{virtualMachine: " + VM + ", operation: SetTime, time: \"" + t + "\"}");
        JsonNode s = finished("guestmaintenance", set);
        assertEquals("Succeeded", s.path("phase").asText(), s.toString());
        Cmd.Result time = cli("agent-command", VM, "{\"execute\":\"guest-get-time\"}");
        assertEquals(0, time.exitCode(), time.output());
        String out = time.output().strip();
        long ns = Long.parseLong(out.substring(out.lastIndexOf(':') + 1, out.lastIndexOf('}')).strip());
        Instant guestNow = Instant.ofEpochSecond(ns / 1_000_000_000L);
        assertTrue(!guestNow.isBefore(t) && guestNow.isBefore(t.plusSeconds(3600)), "guest time " + guestNow);
        Summary.check("GuestMaintenance SetTime " + t + ": Succeeded; guest-get-time through the CLI says " + guestNow);

        JsonNode back = finished("guestmaintenance", createOperation("GuestMaintenance",
                "{virtualMachine: " + VM + ", operation: SetTime}"));
        assertEquals("Succeeded", back.path("phase").asText(), back.toString());
        Summary.check("SetTime without spec.time: the guest's clock back to the node's");
    }

    @Test
    @Order(3)
    void runAProgramInTheGuestAndGetItsExitCode() {
        String exec = createOperation("GuestCommand", "{virtualMachine: " + VM + ", operation: Exec, exec: {path: /bin/sh, "
                + "args: [-c, 'echo out; echo err >&2; cat; exit 3'], input: \"from stdin\\n\"}}");
        JsonNode s = finished("guestcommand", exec);
        assertEquals("Succeeded", s.path("phase").asText(), s.toString());
        assertEquals(3, s.path("exec").path("exitCode").asInt(), s.toString());
        assertEquals("out\nfrom stdin\n", s.path("exec").path("stdout").asText());
        assertEquals("err\n", s.path("exec").path("stderr").asText());
        Summary.check("GuestCommand Exec /bin/sh: exit code 3, stdout and stderr captured, stdin passed");
        JsonNode quiet = finished("guestcommand", createOperation("GuestCommand", "{virtualMachine: " + VM
                + ", operation: Exec, exec: {path: /bin/sh, args: [-c, 'printf x']}}"));
        assertEquals("Succeeded", quiet.path("phase").asText(), quiet.toString());
        assertEquals(0, quiet.path("exec").path("exitCode").asInt(), quiet.toString());
        assertEquals("x", quiet.path("exec").path("stdout").asText());
        assertTrue(quiet.path("exec").path("stderr").isMissingNode(), quiet.toString());
        Summary.check("a program that writes nothing to stderr: Succeeded, exit 0, stdout 'x', no stderr field");
    }

    @Test
    @Order(4)
    void anyAgentCommandWithTheVmsTimeoutAndItsTypedOutcome() {
        Set<String> before = commandNames();
        Cmd.Result ping = cli("agent-command", VM, "{\"execute\":\"guest-ping\"}");
        assertEquals(0, ping.exitCode(), ping.output());
        assertTrue(ping.output().contains("{\"return\":{}}"), ping.output());
        JsonNode cmd = newCommand(before);
        assertEquals(4, cmd.path("status").path("responseTimeout").asInt(), "the VM's timeout: " + cmd);
        Summary.check("agentvisor agent-command " + VM + " guest-ping: exit 0, {\"return\":{}}, run with the VM's "
                + "responseTimeout 4 (GuestCommand status)");

        Cmd.Result blocked = cli("agent-command", VM, "{\"execute\":\"guest-get-users\"}");
        assertEquals(1, blocked.exitCode(), blocked.output());
        assertTrue(blocked.output().contains("BlockedByPolicy"), blocked.output());
        Summary.check("a command the policy blocks: refused, never sent (BlockedByPolicy), CLI exit 1");

        Cmd.Result unknown = cli("agent-command", VM, "{\"execute\":\"guest-no-such-command\"}");
        assertEquals(1, unknown.exitCode(), unknown.output());
        assertTrue(unknown.output().contains("CommandError"), unknown.output());
        Summary.check("an unknown command: the agent's error (CommandError), CLI exit 1");

        before = commandNames();
        Cmd.Result own = cli("agent-command", VM, "--timeout", "Block", "{\"execute\":\"guest-info\"}");
        assertEquals(0, own.exitCode(), own.output());
        assertEquals(-2, newCommand(before).path("status").path("responseTimeout").asInt());
        Summary.check("--timeout Block: the operation's own timeout (-2) used, reply returned");
    }

    /** The GuestCommands of the namespace, by name. */
    static Set<String> commandNames() {
        Set<String> names = new HashSet<>();
        sys.getList("guestcommands").path("items").forEach(o -> names.add(o.path("metadata").path("name").asText()));
        return names;
    }

    /**
     * The one GuestCommand created since {@code before} was taken (not "the newest": creation timestamps have
     * whole seconds, and several CLI calls fit in one).
     */
    static JsonNode newCommand(Set<String> before) {
        List<JsonNode> created = new ArrayList<>();
        sys.getList("guestcommands").path("items").forEach(o -> {
            if (!before.contains(o.path("metadata").path("name").asText())) {
                created.add(o);
            }
        });
        assertEquals(1, created.size(), "one GuestCommand created by the call: " + created);
        return created.get(0);
    }

    @Test
    @Order(5)
    void theChartsRolesSeparateMaintenanceFromFullControl() {
        sys.kubectl("create", "rolebinding", "e2e-maintainer", "--clusterrole=agentvisor-guest-maintainer",
                "--user=alice");
        assertEquals("yes", sys.kubectlResult("auth", "can-i", "create", "guestmaintenances", "--as=alice")
                .output().strip());
        assertEquals("no", sys.kubectlResult("auth", "can-i", "create", "guestcommands", "--as=alice")
                .output().strip());
        String yaml = """
                apiVersion: agentvisor.io/v1alpha1
                kind: GuestCommand
                metadata: {generateName: e2e-}
                spec: {virtualMachine: %s, operation: AgentCommand, command: '{"execute":"guest-ping"}'}
                """.formatted(VM);
        String denied = sys.createFromTextResult(yaml, "--as=alice");
        assertTrue(denied.contains("forbidden"), denied);
        Summary.check("a user bound to agentvisor-guest-maintainer may create GuestMaintenance, not GuestCommand "
                + "(kubectl create --as: forbidden)");
    }

    /** A program's stdout in the guest (GuestCommand Exec through kubectl), failing the test when it fails. */
    static String inGuest(String script) {
        JsonNode s = finished("guestcommand", createOperation("GuestCommand", "{virtualMachine: " + VM
                + ", operation: Exec, exec: {path: /bin/sh, args: [-c, '" + script + "']}}"));
        assertEquals("Succeeded", s.path("phase").asText(), s.toString());
        assertEquals(0, s.path("exec").path("exitCode").asInt(), s.toString());
        return s.path("exec").path("stdout").asText();
    }

    @Test
    @Order(6)
    void sshKeysAndAPasswordFromSecretsReachTheGuestAndFollowTheirEdits() {
        String volumes = sys.kubectl("get", "pod", "vm-" + VM, "-o", "jsonpath={.spec.volumes[*].secret.secretName}");
        assertEquals("e2e-ssh e2e-passwords", volumes.strip());
        await("AccessCredentialsSynchronized True").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                .until(() -> ChartOnNode.condition(sys.vm(VM), "AccessCredentialsSynchronized").path("status").asText()
                        .equals("True"));
        String message = ChartOnNode.condition(sys.vm(VM), "AccessCredentialsSynchronized").path("message").asText();
        assertTrue(message.contains("e2e-ssh") && message.contains("e2e-passwords"), message);
        assertEquals(KEY_1, inGuest("cat /home/demo/.ssh/authorized_keys").strip());
        assertEquals(KEY_1, inGuest("cat /root/.ssh/authorized_keys").strip());
        assertTrue(inGuest("grep ^demo: /etc/shadow | cut -d: -f2").startsWith("$6$"),
                "demo's password set (a SHA-512 crypt in /etc/shadow)");
        Summary.check("Secrets as the VM pod's volumes (" + volumes.strip() + "); AccessCredentialsSynchronized True '"
                + message + "'; the key in demo's and root's authorized_keys, demo's password set in /etc/shadow");

        sys.apply(secrets(KEY_2));
        await("the edited Secret reaches the guest (kubelet sync, then the driver)").atMost(Duration.ofMinutes(4))
                .pollInterval(Duration.ofSeconds(5))
                .until(() -> inGuest("cat /home/demo/.ssh/authorized_keys").strip().equals(KEY_2));
        Summary.check("Secret edited (key replaced): demo's authorized_keys holds only the new key");

        assertEquals("no", sys.kubectlResult("auth", "can-i", "get", "secrets", "-n", "default",
                "--as=system:serviceaccount:" + ChartOnNode.NS + ":agentvisor-agent-driver").output().strip());
        String everything = sys.kubectl("get", "vm", VM, "-o", "yaml") + sys.kubectl("get", "events")
                + sys.kubectl("-n", ChartOnNode.NS, "logs", "ds/agentvisor-agent-driver");
        assertFalse(everything.contains(PASSWORD), "the password appears nowhere");
        assertFalse(everything.contains("AIE2eE2e") || everything.contains("AIF3fF3f"), "no key material either");
        Summary.check("the driver's service account cannot get Secrets; neither the password nor key material appears "
                + "in the VM, the events or the driver's log");
    }
}
