package io.agentvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What reaches a terminal from guest- and tenant-controlled strings. */
class TerminalTextTest {

    /** True when {@code s} holds a character a terminal would act on (beyond the line ends we print). */
    static boolean hasControl(String s) {
        return s.chars().anyMatch(c -> c != '\n' && TerminalText.unsafe((char) c));
    }

    @Test
    void controlCharactersBecomeVisibleText() {
        assertEquals("a\\nb\\rc\\td", TerminalText.escape("a\nb\rc\td"));
        assertEquals("\\e[2J\\e]0;title\\x07", TerminalText.escape("\u001b[2J\u001b]0;title\u0007"));
        assertEquals("nul\\x00 del\\x7f", TerminalText.escape("nul\u0000 del\u007f"));
        // C1: NEL and the 8-bit CSI
        assertEquals("\\u0085\\u009B31m", TerminalText.escape("\u0085\u009b31m"));
        assertEquals("line\\u2028para\\u2029", TerminalText.escape("line\u2028para\u2029"));
    }

    @Test
    void bidiControlsBecomeVisibleText() {
        assertEquals("root\\u202Egnp.exe", TerminalText.escape("root\u202egnp.exe"));
        for (char c : new char[] {'\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068',
            '\u2069', '\u200e', '\u200f', '\u061c'}) {
            String escaped = TerminalText.escape("x" + c + "y");
            assertEquals("x\\u" + String.format("%04X", (int) c) + "y", escaped);
        }
    }

    @Test
    void ordinaryTextIsUntouched() {
        String text = "Grüße, 日本語, עברית, emoji \uD83D\uDE00, C:\\Users\\x, 100%";
        assertSame(text, TerminalText.escape(text));
        assertNull(TerminalText.escape(null));
        assertEquals(TerminalText.escape("a\nb"), TerminalText.escape(TerminalText.escape("a\nb")));
    }

    @Test
    void aNewlineInACellCannotForgeATableRow() {
        StringWriter w = new StringWriter();
        Tables.print(new PrintWriter(w), List.of(new String[] {"NAME", "HOST"},
                new String[] {"vm1", "evil\nvm2   forged"}, new String[] {"vm3", "\u001b[31mred"}));
        List<String> lines = w.toString().lines().toList();
        assertEquals(3, lines.size(), w.toString());
        assertEquals("vm1    evil\\nvm2   forged", lines.get(1));
        assertEquals("vm3    \\e[31mred", lines.get(2));
        assertFalse(hasControl(w.toString()));
        // columns are aligned on what is shown
        assertEquals(lines.get(0).indexOf("HOST"), lines.get(1).indexOf("evil"));
    }

    @Test
    void printfEscapesTheFormattedLine() {
        StringWriter w = new StringWriter();
        TerminalText.printf(new PrintWriter(w), "%-8s: %s%n", "hostname", "a\rb");
        TerminalText.println(new PrintWriter(w), "agentvisor: \u001b]8;;http://x\u0007link");
        assertEquals(List.of("hostname: a\\rb", "agentvisor: \\e]8;;http://x\\x07link"), w.toString().lines().toList());
        assertTrue(w.toString().endsWith(System.lineSeparator()));
    }
}
