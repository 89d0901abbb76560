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
        for (String expected : new String[] {"namespace vms", "get deploy,ds,pods -l app.kubernetes.io/instance=av",
                "kubectl get nodes -L agentvisor.io/kvm", "kubectl apply -f examples/", "kubectl get vm -w",
                // the VM pods' label of the VM-pod contract
                "kubectl get pods -l app.kubernetes.io/name=agentvisor-vm", "kubectl get gap", "responseTimeout=Default",
                "/var/lib/agentvisor-images", "PersistentVolumeClaims", "kubectl apply --server-side --force-conflicts -f crds/",
                "Drivers can be upgraded or restarted at any time"}) {
            assertTrue(out.contains(expected), "NOTES lack '" + expected + "':\n" + out);
        }
        // the shapes that are gone: node Leases, drivers that own their VMs, a kvm.enabled switch
        for (String gone : new String[] {"leases", "node Lease", "OnDelete", "kvm.enabled", "ContainerCreating", "restarts its node's VMs"}) {
            assertFalse(out.toLowerCase(java.util.Locale.ROOT).contains(gone.toLowerCase(java.util.Locale.ROOT)),
                    "NOTES still mention '" + gone + "':\n" + out);
        }
    }

    @Test
    void notesFollowTheValues() {
        String out = notes(Map.of("imageDirs[0].path", "/srv/boot", "imageDirs[1].path", "/data/kernels",
                "defaults.agent.responseTimeout", 3, "metrics.serviceMonitor.enabled", true));
        assertTrue(out.contains("/srv/boot,/data/kernels"), out);
        assertFalse(out.contains("/var/lib/agentvisor-images"), out);
        assertTrue(out.contains("responseTimeout=3"), out);
        assertTrue(out.contains("ServiceMonitor av-agentvisor"), out);
        String noMetrics = notes(Map.of("metrics.enabled", false));
        assertFalse(noMetrics.contains("http-metrics"), noMetrics);
        assertTrue(notes(Map.of()).contains("http-metrics port 8080"));
    }
}
