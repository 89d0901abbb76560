package io.agentvisor.api.v1alpha1;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** {@code spec.accessCredentials[].sshPublicKey}: authorized SSH keys from a Secret, for the listed guest users. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SshPublicKeyAccessCredential {

    @JsonPropertyDescription("A Secret in the VM's namespace; each value holds authorized_keys lines (one key per "
            + "line; empty lines and # comments are skipped).")
    @Required
    @Pattern(Patterns.DNS_SUBDOMAIN)
    @Size(max = Bounds.NAME)
    private String secretName;

    @JsonPropertyDescription("Guest users whose ~/.ssh/authorized_keys holds exactly these keys.")
    @Required
    @Size(min = 1, max = Bounds.CREDENTIAL_USERS)
    private List<@Pattern(Patterns.GUEST_USER) @Size(max = Bounds.GUEST_USER) String> users;

    public String getSecretName() {
        return secretName;
    }

    public void setSecretName(String secretName) {
        this.secretName = secretName;
    }

    public List<String> getUsers() {
        return users;
    }

    public void setUsers(List<String> users) {
        this.users = users;
    }
}
