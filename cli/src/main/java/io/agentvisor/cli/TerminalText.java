package io.agentvisor.cli;

import java.io.PrintWriter;

/**
 * The one place human-readable output passes through. Values shown to a person come from guests (host names,
 * OS names, users, interfaces, agent error text) and tenants (object names, policy sources): none of them may
 * move the cursor, recolour or clear the terminal, forge a table row or reorder what is shown. So every control
 * character becomes visible text: C0 controls (ESC, CR, LF, TAB...), DEL and C1 controls, the Unicode line and
 * paragraph separators, and the bidirectional controls (LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/PDI, LRM/RLM, ALM).
 * Everything else, non-ASCII text included, is printed as is. Escapes are backslash-n, -r, -t, -e and -xHH for C0
 * and DEL, backslash-u and four hex digits for the rest (as in JSON); a backslash itself stays as it is
 * (Windows paths read naturally), so the escaped text is safe, not reversible. {@code -o json} output does not
 * come through here: it stays exact JSON.
 */
final class TerminalText {
    private TerminalText() {
    }

    /** {@code s} with every control and bidi character made visible; {@code null} stays {@code null}. */
    static String escape(String s) {
        if (s == null) {
            return null;
        }
        int i = 0;
        while (i < s.length() && !unsafe(s.charAt(i))) {
            i++;
        }
        if (i == s.length()) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 16).append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!unsafe(c)) {
                b.append(c);
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c == '\r') {
                b.append("\\r");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (c == 0x1b) {
                b.append("\\e");
            } else if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(String.format("\\u%04X", (int) c));
            }
        }
        return b.toString();
    }

    /** True for the characters {@link #escape} rewrites. */
    static boolean unsafe(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f)
                || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)
                || c == 0x200e || c == 0x200f || c == 0x061c || c == 0x2028 || c == 0x2029;
    }

    /** One line of human-readable output: the whole line is escaped (our own text has no control characters). */
    static void println(PrintWriter out, String line) {
        out.println(escape(line));
    }

    /** {@code printf} for human-readable lines: formats, then escapes the result (a line separator ends it). */
    static void printf(PrintWriter out, String format, Object... args) {
        if (format.endsWith("%n")) {
            out.println(escape(String.format(format.substring(0, format.length() - 2), args)));
        } else {
            out.print(escape(String.format(format, args)));
        }
    }
}
