package io.agentvisor.helm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `helm package`: the archive users install from carries the real CRDs and renders like the source chart. */
class ChartPackageTest {
    @Test
    void packagedChartCarriesTheCrdsAndRenders(@TempDir Path tmp) throws Exception {
        new Helm(Chart.dir()).packageIt().withDestination(tmp).call();
        Path tgz = tmp.resolve("agentvisor-0.1.0.tgz");
        assertTrue(Files.isRegularFile(tgz), "helm package wrote " + tgz);

        Path out = Files.createDirectory(tmp.resolve("x"));
        Process tar = new ProcessBuilder("tar", "-xzf", tgz.toString(), "-C", out.toString()).inheritIO().start();
        assertTrue(tar.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, tar.exitValue());

        Map<String, byte[]> repo = Chart.yamlFiles(Chart.repoCrds());
        Map<String, byte[]> packaged = Chart.yamlFiles(out.resolve("agentvisor/crds"));
        assertTrue(repo.size() >= 2, "crds/ holds " + repo.keySet());
        assertEquals(repo.keySet(), packaged.keySet());
        repo.forEach((name, bytes) -> assertArrayEquals(bytes, packaged.get(name), name));

        String fromPackage = Helm.template(tgz.toString()).withName(Chart.RELEASE).withNamespace(Chart.NAMESPACE).call();
        assertEquals(Chart.template(Map.of()), fromPackage);
        String crds = Helm.show(tgz.toString()).crds().call();
        // helm show crds: what `helm install` of the package will create
        for (String crd : java.util.List.of("virtualmachines.agentvisor.io", "guestagentpolicies.agentvisor.io")) {
            assertTrue(java.util.regex.Pattern.compile("(?m)^  name: \"?" + java.util.regex.Pattern.quote(crd) + "\"?$")
                    .matcher(crds).find(), "helm show crds lacks " + crd);
        }
    }
}
