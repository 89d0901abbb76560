package io.agentvisor.helm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** NOTES.txt as `helm install` prints it (client-only dry run: no cluster needed). */
class ChartNotesTest {
    static String notes(Map<String, ?> values) {
        InstallCommand cmd = new Helm(Chart.dir()).install().withName("av").withNamespace("vms").clientOnly().dryRun();
        values.forEach(cmd::set);
        return cmd.call().getOutput();
    }

    @Test
    void notesTellTheNextSteps() {
        String out = notes(Map.of());
        for (String expected : new String[] {"namespace vms", "kubectl apply -f examples/", "kubectl get vm -w",
                "kubectl get gap", "responseTimeout=Default", "/var/lib/agentvisor-images", "kubectl -n vms get leases",
                "kubectl apply --server-side --force-conflicts -f crds/", "agentDriver.kvm.enabled=false", "updateStrategy OnDelete"}) {
            assertTrue(out.contains(expected), "NOTES lack '" + expected + "':\n" + out);
        }
    }

    @Test
    void notesFollowTheValues() {
        String out = notes(Map.of("agentDriver.kvm.enabled", false, "defaults.agent.responseTimeout", 3,
                "metrics.serviceMonitor.enabled", true, "agentDriver.updateStrategy.type", "RollingUpdate"));
        assertFalse(out.contains("ContainerCreating"), out);
        assertFalse(out.contains("updateStrategy OnDelete"), out);
        assertTrue(out.contains("responseTimeout=3"), out);
        assertTrue(out.contains("ServiceMonitor av-agentvisor"), out);
    }
}
