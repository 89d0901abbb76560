package io.agentvisor.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * A benchmark's results: one row per measured quantity (the machine-readable part, written as JSON) and detail
 * sections (markdown for people). Written after every part, so a benchmark that dies keeps what it measured.
 */
final class Report {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final String MET = "met";
    static final String NOT_MET = "NOT met";
    /** The verdict of a row whose value or reference could not be measured: a failure of the benchmark run. */
    static final String FAILED = "failed";

    /**
     * One measured quantity.
     *
     * @param verdict {@link #MET}, {@link #NOT_MET}, {@link #FAILED}, or empty for a row that only informs
     */
    record Row(String p, String what, String ours, String reference, String ratio, String goal, String verdict) {
    }

    record Results(String title, List<Row> rows) {
    }

    private final String title;
    private final List<Row> rows = new ArrayList<>();
    private final Map<String, StringBuilder> sections = new LinkedHashMap<>();
    private final Path markdown;
    private final Path json;

    /** Writes {@code <base>.md} and {@code <base>.json}. */
    Report(String title, Path base) {
        this.title = title;
        this.markdown = Path.of(base + ".md");
        this.json = Path.of(base + ".json");
    }

    synchronized void row(String p, String what, String ours, String reference, String ratio, String goal, String verdict) {
        rows.add(new Row(p, what, ours, reference, ratio, goal, verdict));
    }

    static String verdict(boolean met) {
        return met ? MET : NOT_MET;
    }

    /** One benchmark part, run by {@link #runParts}. */
    interface Part {
        void run() throws Exception;
    }

    /**
     * Runs the named parts in order (unknown names fail like a part that throws); a part that throws is logged and
     * becomes a failed "(whole part)" row. The report is written after every part.
     *
     * @return how many parts failed
     */
    int runParts(List<String> names, Map<String, Part> byName) throws IOException {
        int failed = 0;
        for (String p : names) {
            long t0 = System.nanoTime();
            Util.log("=== %s", p);
            try {
                Part part = byName.get(p.trim());
                if (part == null) {
                    throw new IllegalArgumentException("unknown part " + p);
                }
                part.run();
            } catch (Throwable e) {
                failed++;
                Util.log("%s failed: %s", p, e);
                e.printStackTrace();
                row(p.toUpperCase(), "(whole part)", "not measured: " + e, "", "", "", FAILED);
            }
            Util.log("=== %s done in %.0f s", p, Util.since(t0));
            write();
        }
        return failed;
    }

    synchronized StringBuilder section(String title) {
        return sections.computeIfAbsent(title, t -> new StringBuilder());
    }

    synchronized void write() throws IOException {
        StringBuilder b = new StringBuilder();
        b.append(table("Summary", rows)).append('\n');
        sections.forEach((t, body) -> b.append("## ").append(t).append("\n\n").append(body).append('\n'));
        Files.createDirectories(markdown.toAbsolutePath().getParent());
        Files.writeString(markdown, b.toString());
        JSON.writeValue(json.toFile(), new Results(title, List.copyOf(rows)));
    }

    synchronized String markdown() throws IOException {
        return Files.readString(markdown);
    }

    /** The rows as a markdown table under a {@code ## heading}. */
    static String table(String heading, List<Row> rows) {
        StringBuilder b = new StringBuilder("## ").append(heading).append("\n\n")
                .append("| P | measure | Agentvisor | reference (raw / libvirt / floor) | ratio | goal | |\n")
                .append("|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            b.append("| ").append(r.p()).append(" | ").append(Util.esc(r.what())).append(" | ").append(Util.esc(r.ours()))
                    .append(" | ").append(Util.esc(r.reference())).append(" | ").append(Util.esc(r.ratio())).append(" | ")
                    .append(Util.esc(r.goal())).append(" | ").append(Util.esc(r.verdict())).append(" |\n");
        }
        return b.toString();
    }
}
