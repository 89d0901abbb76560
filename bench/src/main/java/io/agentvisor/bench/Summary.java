package io.agentvisor.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * {@code make bench}'s last step: one table of every benchmark's rows (P1–P7, then the CLI's), rendered from their
 * JSON results: a {@link Report}'s, or bench/run-cli-bench.sh's (rows of verbs, converted here). Usage:
 * {@code Summary OUT.md RESULTS.json...}. Exits 1 when a results file is missing or a row failed (a value or a
 * reference that could not be measured), so that the run fails loudly instead of reading "met".
 */
public final class Summary {

    /** The combined table, and what failed (empty when everything was measured). */
    record Rendered(String markdown, List<String> failures) {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: Summary OUT.md RESULTS.json...");
        }
        Rendered r = render(Arrays.stream(args).skip(1).map(Path::of).toList());
        Files.writeString(Path.of(args[0]), r.markdown());
        System.out.println(r.markdown());
        if (!r.failures().isEmpty()) {
            System.err.println("bench: FAILED: " + r.failures().size() + " result(s) missing or not measured; see "
                    + args[0]);
            System.exit(1);
        }
    }

    /**
     * bench/run-cli-bench.sh's results: each verb (in each of the CLI's modes) beside kubectl, virsh or a raw socket,
     * wall-clock medians in ms. A row whose value or reference could not be measured ({@code failed}) is a failure.
     * Files from before the rows named their reference and mode are read too.
     */
    static Report.Results cliResults(JsonNode cli) {
        List<Report.Row> rows = new ArrayList<>();
        for (JsonNode v : cli.path("rows")) {
            String kind = v.path("kind").asText();
            String reference = v.hasNonNull("reference") ? v.path("reference").asText() : switch (kind) {
                case "cluster" -> "kubectl";
                case "socket" -> "raw socket (socat)";
                default -> "kubectl version --client";
            };
            String goal = v.has("goal") ? v.path("goal").asText() : switch (kind) {
                case "cluster" -> "≤ 5× kubectl";
                case "socket" -> "≤ 5× virsh (virsh not measured)";
                default -> "";
            };
            String mode = v.hasNonNull("mode") ? ", " + v.path("mode").asText() : "";
            String failed = v.hasNonNull("failed") ? v.path("failed").asText() : null;
            JsonNode met = v.path("goalMet");
            // a failed row says why in its measure column (the Failed list quotes it)
            rows.add(new Report.Row("CLI", "agentvisor " + v.path("verb").asText() + mode + ", median wall time"
                    + (failed != null ? " [" + failed + "]" : ""),
                    ms(v.path("agentvisorWallMs")),
                    reference + ": " + ms(v.path("referenceWallMs")),
                    v.path("ratio").isNumber() ? Util.f("%.1f×", v.path("ratio").asDouble()) : "",
                    goal,
                    failed != null ? Report.FAILED : met.isBoolean() ? Report.verdict(met.asBoolean()) : ""));
        }
        return new Report.Results("CLI (bin/agentvisor beside kubectl, virsh and a raw socket)", rows);
    }

    private static String ms(JsonNode v) {
        return v.isNumber() ? Util.f("%.0f ms", v.asDouble()) : "not measured";
    }

    static Rendered render(List<Path> files) throws IOException {
        List<Report.Row> rows = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        StringBuilder details = new StringBuilder();
        for (Path file : files) {
            if (!Files.exists(file)) {
                failures.add(file + ": missing (the benchmark did not finish)");
                continue;
            }
            JsonNode tree = Report.JSON.readTree(file.toFile());
            Report.Results r = tree.has("title") ? Report.JSON.treeToValue(tree, Report.Results.class) : cliResults(tree);
            rows.addAll(r.rows());
            details.append("- ").append(r.title()).append(": ")
                    .append(file.getFileName().toString().replaceFirst("\\.json$", ".md")).append('\n');
        }
        for (Report.Row r : rows) {
            if (Report.FAILED.equals(r.verdict())) {
                failures.add(r.p() + " " + r.what() + ": " + r.ours() + " / " + r.reference());
            }
        }
        // stable: each benchmark's order within a P stays; P1..P7 first, then the others (CLI)
        rows.sort(Comparator.comparing(r -> (r.p().matches("P\\d.*") ? "0" : "1") + r.p()));
        String md = "# Benchmarks, " + LocalDate.now() + " (make bench)\n\nMachine: "
                + Runtime.getRuntime().availableProcessors() + " cores, Java " + System.getProperty("java.version")
                + ". Details:\n" + details + "\n" + Report.table("Summary", rows)
                + (failures.isEmpty() ? "" : "\n## Failed\n\n- " + String.join("\n- ", failures) + "\n");
        return new Rendered(md, List.copyOf(failures));
    }
}
