package io.agentvisor.api.v1alpha1;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;

/**
 * One entry of {@code spec.accessCredentials} (KubeVirt's accessCredentials, propagated by the guest agent only):
 * exactly one of {@code sshPublicKey} and {@code userPassword}. The Secret reaches the node as a secret volume of
 * the VM's pod (fetched by the kubelet); the node driver reads it there and applies it through the guest agent.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@SchemaCustomizer(value = ExactlyOneOf.class, input = "sshPublicKey;userPassword")
public class AccessCredential {

    /** An {@code sshPublicKey} entry: the keys in Secret {@code secret} for the guest {@code users}. */
    public static AccessCredential sshPublicKey(String secret, String... users) {
        SshPublicKeyAccessCredential k = new SshPublicKeyAccessCredential();
        k.setSecretName(secret);
        k.setUsers(users == null ? null : List.of(users));
        AccessCredential c = new AccessCredential();
        c.setSshPublicKey(k);
        return c;
    }

    /** A {@code userPassword} entry: the passwords in Secret {@code secret}, a key per guest user. */
    public static AccessCredential userPassword(String secret) {
        UserPasswordAccessCredential p = new UserPasswordAccessCredential();
        p.setSecretName(secret);
        AccessCredential c = new AccessCredential();
        c.setUserPassword(p);
        return c;
    }

    @JsonPropertyDescription("The authorized SSH keys of the listed guest users come from a Secret: every value of "
            + "the Secret holds authorized_keys lines. The guest's authorized_keys of those users is replaced by them "
            + "(guest-ssh-add-authorized-keys with reset), so a key removed from the Secret is removed in the guest.")
    private SshPublicKeyAccessCredential sshPublicKey;

    @JsonPropertyDescription("Guest user passwords come from a Secret: each key is a user name, its value the "
            + "password (guest-set-user-password).")
    private UserPasswordAccessCredential userPassword;

    public SshPublicKeyAccessCredential getSshPublicKey() {
        return sshPublicKey;
    }

    public void setSshPublicKey(SshPublicKeyAccessCredential sshPublicKey) {
        this.sshPublicKey = sshPublicKey;
    }

    public UserPasswordAccessCredential getUserPassword() {
        return userPassword;
    }

    public void setUserPassword(UserPasswordAccessCredential userPassword) {
        this.userPassword = userPassword;
    }

    /** The Secret this entry names, or null. */
    public String secretName() {
        return sshPublicKey != null ? sshPublicKey.getSecretName()
                : userPassword != null ? userPassword.getSecretName() : null;
    }
}
