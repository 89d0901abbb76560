package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** {@code spec.accessCredentials[].userPassword}: guest user passwords from a Secret. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class UserPasswordAccessCredential {

    @JsonPropertyDescription("A Secret in the VM's namespace; each key is a guest user name, its value that user's "
            + "password (one line).")
    @Required
    @Pattern(Patterns.DNS_SUBDOMAIN)
    @Size(max = Bounds.NAME)
    private String secretName;

    public String getSecretName() {
        return secretName;
    }

    public void setSecretName(String secretName) {
        this.secretName = secretName;
    }
}
