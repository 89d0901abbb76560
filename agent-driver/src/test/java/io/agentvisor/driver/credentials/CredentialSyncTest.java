package io.agentvisor.driver.credentials;

import static io.agentvisor.api.v1alpha1.AccessCredential.sshPublicKey;
import static io.agentvisor.api.v1alpha1.AccessCredential.userPassword;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the condition says before any agent call (the calls themselves: AccessCredentialsIT, in the real guest). */
class CredentialSyncTest {

    @Test
    void noCredentialsNoCondition() {
        CredentialSync s = new CredentialSync();
        assertSame(CredentialSync.NONE, s.pass(null, Map.of(), v -> null, null, false, Runnable::run, () -> { },
                Instant::now));
        assertSame(CredentialSync.NONE, s.pass(List.of(), Map.of(), v -> null, null, true, Runnable::run, () -> { },
                Instant::now));
    }

    @Test
    void withoutTheAgentItWaitsNamingWhatItWillApply() {
        CredentialSync s = new CredentialSync();
        CredentialSync.Wanted w = s.pass(List.of(sshPublicKey("k", "demo"), userPassword("p")),
                Map.of("k", "access-credential-0", "p", "access-credential-1"),
                v -> v.endsWith("0") ? CredentialPlanTest.data("a", CredentialPlanTest.KEY_A)
                        : CredentialPlanTest.data("demo", CredentialPlanTest.PASSWORD),
                null, false, Runnable::run, () -> { }, Instant::now);
        assertEquals(new CredentialSync.Wanted(false, "NotConnected", "waiting for the guest agent to apply Secret k: "
                + "1 authorized key(s) for demo; Secret p: password of demo"), w);
    }

    @Test
    void aSecretProblemComesFirst() {
        CredentialSync s = new CredentialSync();
        CredentialSync.Wanted w = s.pass(List.of(userPassword("p")), Map.of("p", "access-credential-0"),
                v -> Map.of(), null, false, Runnable::run, () -> { }, Instant::now);
        assertEquals(new CredentialSync.Wanted(false, "SecretEmpty", "Secret p is missing or has no data (the pod's "
                + "volume is empty): nothing applied"), w);
    }
}
