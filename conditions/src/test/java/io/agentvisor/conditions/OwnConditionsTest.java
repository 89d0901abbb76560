package io.agentvisor.conditions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentvisor.api.v1alpha1.Condition;
import io.agentvisor.api.v1alpha1.Conditions;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OwnConditionsTest {
    private static final Instant NOW = Instant.parse("2026-11-26T08:00:00Z");
    private static final Set<String> DRIVER = Set.of("Running", "Ready");

    private static Condition c(String type, boolean status) {
        return new ConditionSet(List.of(type), null, 1L, NOW).set(type, status, "R", "m").get(type);
    }

    @Test
    void replaceOwnKeepsTheOtherWritersEntriesAndReplacesOnlyOwnOnes() {
        List<Condition> current = List.of(c("Scheduled", true), c("Running", false), c("SpecValid", true));
        List<Condition> merged = OwnConditions.replaceOwn(current, DRIVER, List.of(c("Ready", true),
                c("Running", true)));
        assertEquals(List.of("Scheduled", "SpecValid", "Ready", "Running"),
                merged.stream().map(Condition::getType).toList());
        assertEquals("True", Conditions.find(merged, "Running").getStatus());
    }

    @Test
    void thePatchIsGuardedByTheResourceVersionAndAbsentWhenNothingChanges() throws Exception {
        VirtualMachine vm = new VirtualMachine();
        vm.setMetadata(new ObjectMetaBuilder().withName("a").withResourceVersion("42").build());
        VirtualMachineStatus status = new VirtualMachineStatus();
        status.setConditions(new ArrayList<>(List.of(c("Scheduled", true), c("Running", true))));
        vm.setStatus(status);

        JsonNode patch = new ObjectMapper().readTree(OwnConditions.patch(vm, DRIVER, List.of(c("Running", false)))
                .orElseThrow());
        assertEquals("test", patch.get(0).get("op").asText());
        assertEquals("/metadata/resourceVersion", patch.get(0).get("path").asText());
        assertEquals("42", patch.get(0).get("value").asText());
        assertEquals("/status/conditions", patch.get(1).get("path").asText());
        assertEquals("Scheduled", patch.get(1).get("value").get(0).get("type").asText());
        assertEquals("False", patch.get(1).get("value").get(1).get("status").asText());

        assertTrue(OwnConditions.patch(vm, DRIVER, List.of(c("Running", true))).isEmpty());
    }

    @Test
    void aVmWithoutStatusGetsTheWholeStatusObject() throws Exception {
        VirtualMachine vm = new VirtualMachine();
        vm.setMetadata(new ObjectMetaBuilder().withName("a").withResourceVersion("7").build());
        JsonNode patch = new ObjectMapper().readTree(OwnConditions.patch(vm, DRIVER, List.of(c("Ready", false)))
                .orElseThrow());
        assertEquals("/status", patch.get(1).get("path").asText());
        assertEquals("Ready", patch.get(1).get("value").get("conditions").get(0).get("type").asText());
    }
}
