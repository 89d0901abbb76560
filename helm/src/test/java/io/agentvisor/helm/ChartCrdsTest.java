package io.agentvisor.helm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One source of truth for the CRDs: the repository's crds/*.yaml. The chart carries a byte-for-byte copy (a copy,
 * not symlinks, so `helm package` keeps real files); helm/sync-crds.sh refreshes it.
 */
class ChartCrdsTest {
    private static final String FIX = "run helm/sync-crds.sh to refresh helm/agentvisor/crds from crds/";

    @Test
    void chartCrdsAreExactlyTheRepositoryCrds() {
        Map<String, byte[]> repo = Chart.yamlFiles(Chart.repoCrds());
        Map<String, byte[]> chart = Chart.yamlFiles(Chart.chartCrds());
        assertTrue(repo.keySet().containsAll(java.util.List.of("virtualmachines.agentvisor.io.yaml",
                "guestagentpolicies.agentvisor.io.yaml")), "crds/ holds " + repo.keySet());
        assertEquals(repo.keySet(), chart.keySet(), "CRD files differ; " + FIX);
        repo.forEach((name, bytes) -> assertArrayEquals(bytes, chart.get(name), name + " differs; " + FIX));
    }

    @Test
    void chartCrdsAreRegularFilesNotLinks() throws Exception {
        try (var files = Files.list(Chart.chartCrds())) {
            for (Path p : files.toList()) {
                assertFalse(Files.isSymbolicLink(p), p + " is a symlink; " + FIX);
                assertTrue(Files.isRegularFile(p), p.toString());
            }
        }
    }
}
