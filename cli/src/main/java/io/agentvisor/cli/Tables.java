package io.agentvisor.cli;

import java.io.PrintWriter;
import java.util.List;

/** kubectl-style plain tables: columns padded to their widest cell, three spaces apart. */
final class Tables {
    private Tables() {
    }

    /** Prints the rows; every cell goes through {@link TerminalText#escape} first, so widths are what is shown. */
    static void print(PrintWriter out, List<String[]> rows) {
        rows = rows.stream().map(r -> java.util.Arrays.stream(r).map(TerminalText::escape).toArray(String[]::new))
                .toList();
        int[] widths = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                b.append(row[i]);
                if (i < row.length - 1) {
                    b.append(" ".repeat(widths[i] - row[i].length() + 3));
                }
            }
            out.println(b.toString().stripTrailing());
        }
    }
}
