package io.agentvisor.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
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
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        Path work = Path.of(a.get("work"));
        Report rep = new Report("System benchmarks without a node (P2, P3, P5)", Path.of(a.get("out")));
        List<String> parts = Arrays.asList(a.getOrDefault("parts", "p3,p2,p5").split(","));
        int failed = 0;
        for (String p : parts) {
            long t0 = System.nanoTime();
            Util.log("=== %s", p);
            try {
                switch (p.trim()) {
                    case "p2" -> P2Timeouts.run(work, a.getOrDefault("libvirt", "not checked"), rep);
                    case "p3" -> P3Isolation.run(rep);
                    case "p5" -> OperatorScale.run(work, Path.of(a.get("operator-jar")), rep);
                    default -> throw new IllegalArgumentException("unknown part " + p);
                }
            } catch (Throwable e) {
                failed++;
                Util.log("%s failed: %s", p, e);
                e.printStackTrace();
                rep.row(p.toUpperCase(), "(whole part)", "not measured: " + e, "", "", "", Report.FAILED);
            }
            Util.log("=== %s done in %.0f s", p, Util.since(t0));
            rep.write();
        }
        rep.write();
        System.exit(failed == 0 ? 0 : 3);
    }
}
