package io.agentvisor.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The summary table (one row per measured quantity) and the detail sections, written after every part. */
final class Report {
    record Row(String p, String what, String ours, String reference, String ratio, String goal, String verdict) {
    }

    private final List<Row> rows = new ArrayList<>();
    private final Map<String, StringBuilder> sections = new LinkedHashMap<>();
    private final Path out;

    Report(Path out) {
        this.out = out;
    }

    synchronized void row(String p, String what, String ours, String reference, String ratio, String goal, String verdict) {
        rows.add(new Row(p, what, ours, reference, ratio, goal, verdict));
    }

    synchronized StringBuilder section(String title) {
        return sections.computeIfAbsent(title, t -> new StringBuilder());
    }

    synchronized void write() throws IOException {
        StringBuilder b = new StringBuilder();
        b.append("## Summary\n\n| P | measure | Agentvisor | reference (libvirt / floor) | ratio | goal | |\n")
                .append("|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            b.append("| ").append(r.p()).append(" | ").append(Util.esc(r.what())).append(" | ").append(Util.esc(r.ours()))
                    .append(" | ").append(Util.esc(r.reference())).append(" | ").append(Util.esc(r.ratio())).append(" | ")
                    .append(Util.esc(r.goal())).append(" | ").append(Util.esc(r.verdict())).append(" |\n");
        }
        b.append('\n');
        sections.forEach((title, body) -> b.append("## ").append(title).append("\n\n").append(body).append('\n'));
        Files.writeString(out, b.toString());
    }
}
