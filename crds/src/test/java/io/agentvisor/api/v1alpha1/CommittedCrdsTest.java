package io.agentvisor.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The CRD YAML committed in crds/ must be exactly what the API types generate. */
class CommittedCrdsTest {

    @ParameterizedTest
    @ValueSource(strings = { "virtualmachines.agentvisor.io", "guestagentpolicies.agentvisor.io",
        "guestcommands.agentvisor.io", "guestmaintenances.agentvisor.io" })
    void committedYamlMatchesTheTypes(String crd) throws IOException {
        Path generated = Path.of("target/crds/" + crd + ".yaml");
        Path committed = Path.of(crd + ".yaml");
        assertTrue(Files.exists(generated), generated + " was not generated (crd-generator-maven-plugin, then CrdFinisher)");
        String hint = "crds/" + crd + ".yaml is out of date with the API types in crds/src: run `make crds` "
                + "(crds/update.sh) and commit the result";
        assertTrue(Files.exists(committed), hint);
        assertEquals(Files.readString(generated), Files.readString(committed), hint);
    }
}
