package io.agentvisor.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * System benchmarks that need no node (P2, P3, P5), run by bench/run-system-bench.sh: libvirt beside bare QEMU on
 * this machine, the driver's pollers against host agents, the operator jar against the API-only test cluster. The
 * benchmarks on a real node (P4, P6, P7) are {@link NodeBench}. Writes {@code OUT.md} (summary table + details,
 * which the script puts under its machine table) and {@code OUT.json} (the summary's rows). Every part is measured
 * for real; a part that cannot run says why instead of a number, and its row fails.
 *
 * <p>Arguments: {@code --out OUT --work DIR --libvirt STATUS --operator-jar JAR [--parts p3,p2,p5]}
 */
public final class SystemBench {
    public static void main(String[] args) throws Exception {
        Map<String, String> a = Util.options(args);
        Path work = Path.of(a.get("work"));
        Report rep = new Report("System benchmarks without a node (P2, P3, P5)", Path.of(a.get("out")));
        List<String> parts = Arrays.asList(a.getOrDefault("parts", "p3,p2,p5").split(","));
        int failed = rep.runParts(parts, Map.of(
                "p2", () -> P2Timeouts.run(work, a.getOrDefault("libvirt", "not checked"), rep),
                "p3", () -> P3Isolation.run(rep),
                "p5", () -> OperatorScale.run(work, Path.of(a.get("operator-jar")), rep)));
        rep.write();
        System.exit(failed == 0 ? 0 : 3);
    }
}
