package io.agentvisor.driver.it;

import static io.agentvisor.api.v1alpha1.AccessCredential.sshPublicKey;
import static io.agentvisor.api.v1alpha1.AccessCredential.userPassword;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentvisor.api.v1alpha1.AgentOperationPhase;
import io.agentvisor.api.v1alpha1.AgentOperationStatus;
import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.Conditions;
import io.agentvisor.api.v1alpha1.ExecSpec;
import io.agentvisor.api.v1alpha1.GuestCommand;
import io.agentvisor.api.v1alpha1.GuestCommandOperation;
import io.agentvisor.api.v1alpha1.GuestCommandSpec;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VmPods;
import io.agentvisor.driver.credentials.KubeletSecretVolume;
import io.agentvisor.driver.credentials.SecretFiles;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * spec.accessCredentials applied by the packaged driver in the real tiny guest of a VM pod (set up as in
 * {@link DriverIT}: the shared apiserver, a fake kubelet directory, the guest on the host). The test writes the
 * Secrets' files where the kubelet would (the pod's secret volumes, AtomicWriter's layout); the driver has no access to
 * Secrets in the API. What the guest holds is read back inside the guest (guest-exec through a GuestCommand): the
 * users' authorized_keys and the password hash in /etc/shadow.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AccessCredentialsIT {
    static final String NS = "creds-it";
    static final String NODE = "node-creds";
    static final String VM = "creds";
    static final String KEYS = "creds-keys";
    static final String PASSWORDS = "creds-passwords";
    static final String KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx1xCredsItKeyAaaaaaaaaaaaaaaaaaaaaaaaaaaaaa alice@it";
    static final String KEY_B = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx1xCredsItKeyBbbbbbbbbbbbbbbbbbbbbbbbbbbbb bob@it";
    static final String KEY_C = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx1xCredsItKeyCccccccccccccccccccccccccccccc carol@it";
    static final String PASSWORD_1 = "first-Pa55word-for-demo";
    static final String PASSWORD_2 = "second-Pa55word-for-demo";
    static final String PASSWORD_3 = "third-Pa55word-never-sent";
    static DriverTestbed bed;
    static KubernetesClient k;
    static Path kubelet;
    static DriverProcess driver;
    static Pod pod;
    static int seq;
    static String demoShadowBefore;

    @BeforeAll
    static void start() throws Exception {
        bed = DriverTestbed.start(NS, NODE);
        k = bed.k;
        kubelet = bed.kubelet;
        driver = bed.driver();
        VirtualMachine vm = bed.createTinyGuestVm(VM,
                spec -> spec.setAccessCredentials(List.of(sshPublicKey(KEYS, "demo", "root"),
                        userPassword(PASSWORDS))));
        operatorPolicy(List.of());
        // the pod as the operator builds it: one secret volume per access credential, mounted in the qemu container
        pod = bed.createPod(vm, "vm-" + VM, p -> p.editSpec()
                .addNewVolume().withName(VmPods.credentialVolume(0)).withNewSecret().withSecretName(KEYS)
                .withOptional(true).endSecret().endVolume()
                .addNewVolume().withName(VmPods.credentialVolume(1)).withNewSecret().withSecretName(PASSWORDS)
                .withOptional(true).endSecret().endVolume()
                .editFirstContainer()
                .addNewVolumeMount().withName(VmPods.credentialVolume(0))
                .withMountPath(VmPods.CREDENTIALS_DIR + "/" + VmPods.credentialVolume(0)).withReadOnly(true).endVolumeMount()
                .addNewVolumeMount().withName(VmPods.credentialVolume(1))
                .withMountPath(VmPods.CREDENTIALS_DIR + "/" + VmPods.credentialVolume(1)).withReadOnly(true).endVolumeMount()
                .endContainer().endSpec());
        bed.bootGuest(pod);
        await("the agent responsive", Duration.ofSeconds(120), AccessCredentialsIT::vm,
                v -> v.getStatus() != null && v.getStatus().getAgent() != null
                        && Boolean.TRUE.equals(v.getStatus().getAgent().getResponsive()));
    }

    /** The operator's part of the VM's status: placed on NODE, timeout 3, these commands blocked. */
    static void operatorPolicy(List<String> blocked) {
        Map<String, Object> policy = DriverTestbed.agentPolicy(3, 2, "5s", "20s");
        policy.put("blockedCommands", blocked);
        bed.operatorStatus(VM, policy);
    }

    @AfterAll
    static void stop() throws Exception {
        if (bed != null) {
            k.resources(GuestCommand.class).inNamespace(NS).delete();
            bed.close();
        }
    }

    @Test
    @Order(1)
    void withoutItsVolumesTheConditionSaysTheKubeletHasNotSetThemUp() throws Exception {
        Condition c = awaitCondition("SecretNotMounted", s -> true);
        assertEquals("False", c.getStatus());
        assertTrue(c.getMessage().contains("Secret " + KEYS + ": the kubelet has not set up the pod's volume "
                + VmPods.credentialVolume(0)), c.getMessage());
        demoShadowBefore = shadowOf("demo");
        assertEquals("!", demoShadowBefore, "the tiny guest's demo has no password yet");
    }

    @Test
    @Order(2)
    void keysAndPasswordReachTheGuest() throws Exception {
        secret(0, Map.of("laptop", "# alice\n" + KEY_A + "\n", "ci", KEY_B + "\n"));
        secret(1, Map.of("demo", PASSWORD_1 + "\n"));
        Condition c = awaitCondition(CredentialsReason.SYNCHRONIZED, s -> s.equals("True"));
        assertEquals("applied Secret " + KEYS + ": 2 authorized key(s) for demo, 2 authorized key(s) for root; Secret "
                + PASSWORDS + ": password of demo", c.getMessage());
        assertEquals(List.of(KEY_B, KEY_A), authorizedKeys("demo"), "the keys in key order (ci, laptop)");
        assertEquals(List.of(KEY_B, KEY_A), authorizedKeys("root"));
        String hash = shadowOf("demo");
        assertTrue(hash.startsWith("$6$"), "demo's password is set (sha512-crypt): " + hash);
        assertNotEquals(demoShadowBefore, hash);
        demoShadowBefore = hash;
    }

    @Test
    @Order(3)
    void anEditedSecretIsAppliedAgainAndAKeyTakenOutLeavesTheGuest() throws Exception {
        secret(0, Map.of("laptop", KEY_C + "\n", "ci", KEY_B + "\n"));
        secret(1, Map.of("demo", PASSWORD_2));
        await("demo's authorized_keys without alice's key", Duration.ofSeconds(60), () -> authorizedKeys("demo"),
                keys -> keys.equals(List.of(KEY_B, KEY_C)));
        assertEquals(List.of(KEY_B, KEY_C), authorizedKeys("root"));
        String hash = await("demo's password hash changed", Duration.ofSeconds(60), () -> shadowOf("demo"),
                h -> h.startsWith("$6$") && !h.equals(demoShadowBefore));
        demoShadowBefore = hash;
        awaitCondition(CredentialsReason.SYNCHRONIZED, s -> s.equals("True"));
    }

    @Test
    @Order(4)
    void anUnknownUserIsNamed() throws Exception {
        k.resources(VirtualMachine.class).inNamespace(NS).withName(VM).edit(v -> {
            v.getSpec().setAccessCredentials(List.of(sshPublicKey(KEYS, "demo", "ghost"),
                    userPassword(PASSWORDS)));
            return v;
        });
        Condition c = awaitCondition("UserUnknown", s -> s.equals("False"));
        assertTrue(c.getMessage().startsWith("Secret " + KEYS + ": 2 authorized key(s) for ghost not applied: the guest"
                + " has no user ghost; applied: Secret " + KEYS + ": 2 authorized key(s) for demo; Secret " + PASSWORDS
                + ": password of demo"), c.getMessage());
        k.resources(VirtualMachine.class).inNamespace(NS).withName(VM).edit(v -> {
            v.getSpec().setAccessCredentials(List.of(sshPublicKey(KEYS, "demo", "root"),
                    userPassword(PASSWORDS)));
            return v;
        });
        awaitCondition(CredentialsReason.SYNCHRONIZED, s -> s.equals("True"));
    }

    @Test
    @Order(5)
    void aBlockedCommandIsNeverSentAndSaysSo() throws Exception {
        long applied = settingsApplied();
        operatorPolicy(List.of("guest-set-user-password"));
        await("the driver applied the new policy", Duration.ofSeconds(30), AccessCredentialsIT::settingsApplied,
                n -> n > applied);
        secret(1, Map.of("demo", PASSWORD_3));
        Condition c = awaitCondition("BlockedByPolicy", s -> s.equals("False"));
        assertEquals("Secret " + PASSWORDS + ": password of demo not applied: guest-set-user-password is blocked for "
                + "this VM (blockedCommands); applied: Secret " + KEYS + ": 2 authorized key(s) for demo, 2 authorized "
                + "key(s) for root", c.getMessage());
        assertEquals(demoShadowBefore, shadowOf("demo"), "not sent");
        operatorPolicy(List.of());
        awaitCondition(CredentialsReason.SYNCHRONIZED, s -> s.equals("True"));
        assertNotEquals(demoShadowBefore, shadowOf("demo"), "sent once the command is allowed again");
    }

    @Test
    @Order(6)
    void aRebootedGuestGetsThemAgain() throws Exception {
        // the tiny guest lives in RAM: a reboot forgets keys and passwords; the agent coming back brings them again
        GuestCommand reboot = new GuestCommand();
        reboot.setMetadata(new ObjectMetaBuilder().withName("reboot").withNamespace(NS).build());
        GuestCommandSpec s = new GuestCommandSpec();
        s.setVirtualMachine(VM);
        s.setOperation(GuestCommandOperation.AgentCommand);
        s.setCommand("{\"execute\":\"guest-shutdown\",\"arguments\":{\"mode\":\"reboot\"}}");
        reboot.setSpec(s);
        k.resource(reboot).create();
        await("the reboot done", Duration.ofSeconds(90), () -> k.resources(GuestCommand.class).inNamespace(NS)
                .withName("reboot").get().getStatus(), st -> st != null && st.getPhase() == AgentOperationPhase.Succeeded);
        // one pass sends demo's keys, root's keys, then demo's password: wait for the last of them
        await("demo's password set again after the reboot", Duration.ofSeconds(120), () -> shadowOf("demo"),
                h -> h.startsWith("$6$"));
        assertEquals(List.of(KEY_B, KEY_C), authorizedKeys("demo"));
        assertEquals(List.of(KEY_B, KEY_C), authorizedKeys("root"));
    }

    @Test
    @Order(7)
    void noPasswordOrKeyInStatusEventsOrTheDriversLog() throws Exception {
        String status = new ObjectMapper().writeValueAsString(vm().getStatus());
        String events = new ObjectMapper().writeValueAsString(k.v1().events().inNamespace(NS).list().getItems());
        String log = driver.log();
        assertTrue(events.contains("AccessCredentialsApplied"), events);
        for (String secret : List.of(PASSWORD_1, PASSWORD_2, PASSWORD_3, b64(PASSWORD_1), b64(PASSWORD_2),
                b64(PASSWORD_3), "CredsItKey")) {
            assertFalse(status.contains(secret), "status holds " + secret);
            assertFalse(events.contains(secret), "events hold " + secret);
            assertFalse(log.contains(secret), "the driver's log holds " + secret);
        }
    }

    // ---- helpers ----

    /** Reasons the test waits for. */
    static final class CredentialsReason {
        static final String SYNCHRONIZED = "Synchronized";
    }

    /** How often the driver logged new agent settings for the VM. */
    static long settingsApplied() {
        return driver.log().lines().filter(l -> l.contains(NS + "/" + VM + ": agent settings:")).count();
    }

    static String b64(String s) {
        return java.util.Base64.getEncoder().encodeToString(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static void secret(int index, Map<String, String> data) throws Exception {
        KubeletSecretVolume.write(SecretFiles.volumeDir(kubelet, pod.getMetadata().getUid(),
                VmPods.credentialVolume(index)), data);
    }

    static List<String> authorizedKeys(String user) throws Exception {
        String home = user.equals("root") ? "/root" : "/home/" + user;
        String out = exec("cat " + home + "/.ssh/authorized_keys");
        return out.lines().filter(l -> !l.isBlank()).toList();
    }

    static String shadowOf(String user) throws Exception {
        return exec("awk -F: '$1 == \"" + user + "\" { printf \"%s\", $2 }' /etc/shadow");
    }

    /** Runs a shell command in the guest through the driver (GuestCommand Exec); its stdout. */
    static String exec(String script) throws Exception {
        GuestCommand c = new GuestCommand();
        c.setMetadata(new ObjectMetaBuilder().withName("exec-" + (++seq)).withNamespace(NS).build());
        GuestCommandSpec s = new GuestCommandSpec();
        s.setVirtualMachine(VM);
        s.setOperation(GuestCommandOperation.Exec);
        ExecSpec e = new ExecSpec();
        e.setPath("/bin/sh");
        // something on stderr: an Exec whose program writes no stderr is stored with stderr null and refused (422)
        e.setArgs(List.of("-c", script + "; echo . >&2"));
        s.setExec(e);
        c.setSpec(s);
        String name = k.resource(c).create().getMetadata().getName();
        AgentOperationStatus st = await("exec " + script, Duration.ofSeconds(60), () -> k.resources(GuestCommand.class)
                .inNamespace(NS).withName(name).get().getStatus(), x -> x != null && (x.getPhase()
                == AgentOperationPhase.Succeeded || x.getPhase() == AgentOperationPhase.Failed));
        assertEquals(AgentOperationPhase.Succeeded, st.getPhase(), st.getMessage());
        k.resources(GuestCommand.class).inNamespace(NS).withName(name).delete();
        return st.getExec().getStdout();
    }

    static VirtualMachine vm() {
        return k.resources(VirtualMachine.class).inNamespace(NS).withName(VM).get();
    }

    static Condition awaitCondition(String reason, Predicate<String> status) throws InterruptedException {
        return await("AccessCredentialsSynchronized " + reason, Duration.ofSeconds(90),
                () -> Conditions.find(vm().getStatus().getConditions(), ConditionTypes.ACCESS_CREDENTIALS_SYNCHRONIZED),
                c -> c != null && reason.equals(c.getReason()) && status.test(c.getStatus()));
    }

    static <T> T await(String what, Duration max, DriverTestbed.Get<T> get, Predicate<T> ok)
            throws InterruptedException {
        return bed.await(what, max, get, ok);
    }
}
