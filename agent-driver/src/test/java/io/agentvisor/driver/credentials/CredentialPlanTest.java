package io.agentvisor.driver.credentials;

import static io.agentvisor.api.v1alpha1.AccessCredential.sshPublicKey;
import static io.agentvisor.api.v1alpha1.AccessCredential.userPassword;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentvisor.api.v1alpha1.AccessCredential;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class CredentialPlanTest {
    static final String KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa alice@example";
    static final String KEY_B = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb bob@example";
    static final String PASSWORD = "s3cr3t-Pa55 word";

    static Map<String, byte[]> data(String... kv) {
        Map<String, byte[]> m = new TreeMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return m;
    }

    static List<CredentialPlan.Entry> plan(List<AccessCredential> creds, Map<String, Map<String, byte[]>> secrets) {
        Map<String, String> volumes = new HashMap<>();
        Map<String, Map<String, byte[]>> byVolume = new HashMap<>();
        for (int i = 0; i < creds.size(); i++) {
            String s = creds.get(i).secretName();
            if (secrets.containsKey(s)) {
                volumes.put(s, "access-credential-" + i);
                byVolume.put("access-credential-" + i, secrets.get(s));
            }
        }
        return CredentialPlan.plan(creds, volumes, byVolume::get);
    }

    @Test
    void keysOfEveryValueGoToEveryUserWithReset() throws Exception {
        List<CredentialPlan.Entry> p = plan(List.of(sshPublicKey("k", "demo", "root")), Map.of("k",
                data("a", "# laptop\r\n" + KEY_A + "\r\n\n", "b", KEY_B + "\n" + KEY_A)));
        assertTrue(p.get(0).ok());
        List<CredentialPlan.Step> steps = p.get(0).steps();
        assertEquals(List.of("k/sshPublicKey/demo", "k/sshPublicKey/root"), steps.stream().map(CredentialPlan.Step::id)
                .toList());
        assertEquals("{\"execute\":\"guest-ssh-add-authorized-keys\",\"arguments\":{\"username\":\"demo\",\"keys\":[\""
                + KEY_A + "\",\"" + KEY_B + "\"],\"reset\":true}}", steps.get(0).request().toString());
        assertEquals("2 authorized key(s) for demo", steps.get(0).describe());
    }

    @Test
    void passwordsPerUserBase64WithOneTrailingNewlineDropped() {
        List<CredentialPlan.Entry> p = plan(List.of(userPassword("pw")), Map.of("pw", data("demo", PASSWORD + "\n",
                "root", "r00t")));
        List<CredentialPlan.Step> steps = p.get(0).steps();
        assertEquals(2, steps.size());
        assertEquals("{\"execute\":\"guest-set-user-password\",\"arguments\":{\"username\":\"demo\",\"password\":\""
                + Base64.getEncoder().encodeToString(PASSWORD.getBytes(StandardCharsets.UTF_8))
                + "\",\"crypted\":false}}", steps.get(0).request().toString());
        assertEquals("password of demo", steps.get(0).describe());
        assertFalse(steps.get(0).toString().contains(PASSWORD));
    }

    @Test
    void theHashFollowsTheContentOnly() {
        String a1 = plan(List.of(userPassword("pw")), Map.of("pw", data("demo", PASSWORD))).get(0).steps().get(0).hash();
        String a2 = plan(List.of(userPassword("pw")), Map.of("pw", data("demo", PASSWORD + "\n"))).get(0).steps().get(0)
                .hash();
        String b = plan(List.of(userPassword("pw")), Map.of("pw", data("demo", PASSWORD + "!"))).get(0).steps().get(0)
                .hash();
        assertEquals(a1, a2, "the newline echo leaves is not part of the password");
        assertNotEquals(a1, b);
        assertFalse(a1.contains(PASSWORD));
        String k1 = plan(List.of(sshPublicKey("k", "demo")), Map.of("k", data("a", KEY_A))).get(0).steps().get(0).hash();
        String k2 = plan(List.of(sshPublicKey("k", "demo")), Map.of("k", data("a", "# comment\n" + KEY_A + "\n"))).get(0)
                .steps().get(0).hash();
        String k3 = plan(List.of(sshPublicKey("k", "demo")), Map.of("k", data("a", KEY_A + "\n" + KEY_B))).get(0).steps()
                .get(0).hash();
        assertEquals(k1, k2);
        assertNotEquals(k1, k3, "a key added");
    }

    @Test
    void problemsNameTheSecretAndKeyButNeverAValue() throws Exception {
        String bad = "qx7\nzv9";
        List<CredentialPlan.Entry> p = plan(List.of(userPassword("pw"), userPassword("users"), sshPublicKey("k", "demo"),
                userPassword("absent"), userPassword("empty"), userPassword("blank")), Map.of(
                        "pw", data("demo", bad), "users", data("bad.user!", PASSWORD),
                        "k", data("a", KEY_A + "\u0007"), "empty", data(), "blank", data("demo", "\n")));
        List<String> problems = p.stream().map(e -> e.reason() + " " + e.problem()).toList();
        assertEquals(List.of(
                "InvalidSecret Secret pw: the password of demo is more than one line",
                "InvalidSecret Secret users: key \"bad.user!\" is not a user name (letters, digits, '_', '.', '-', at "
                        + "most 32)",
                "InvalidSecret Secret k: key a, line 1: has control characters",
                "SecretNotMounted Secret absent is not a volume of the VM's pod (spec.accessCredentials changed after "
                        + "the pod was created: it applies when the pod is replaced)",
                "SecretEmpty Secret empty is missing or has no data (the pod's volume is empty): nothing applied",
                "InvalidSecret Secret blank: the password of demo is empty"), problems);
        String all = new ObjectMapper().writeValueAsString(problems);
        for (String secret : List.of("qx7", "zv9", PASSWORD, "AAAAC3")) {
            assertFalse(all.contains(secret), secret);
        }
    }

    @Test
    void theAgentsWordsAreShownWithoutSecrets() {
        CredentialPlan.Step keys = plan(List.of(sshPublicKey("k", "demo")), Map.of("k", data("a", KEY_A))).get(0).steps().get(0);
        assertEquals("invalid OpenSSH public key: '<redacted>'",
                CredentialPlan.safeDetail("invalid OpenSSH public key: '" + KEY_A + "'", keys));
        CredentialPlan.Step pw = plan(List.of(userPassword("pw")), Map.of("pw", data("demo", "e"))).get(0).steps().get(0);
        assertNull(CredentialPlan.safeDetail("child process has failed to set user password", pw),
                "a one-letter password found in the agent's text: the text is not shown at all");
        CredentialPlan.Step pw2 = plan(List.of(userPassword("pw")), Map.of("pw", data("demo", PASSWORD))).get(0).steps()
                .get(0);
        assertEquals("child process has failed to set user password",
                CredentialPlan.safeDetail("child process has failed to set user password", pw2));
    }
}
