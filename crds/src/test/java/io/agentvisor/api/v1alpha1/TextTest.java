package io.agentvisor.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class TextTest {
    @Test
    void controlBidiAndBrokenSurrogatesAreReplacedOtherTextKept() {
        String clean = "Debian GNU/Linux 12 (bookworm) — 日本語 😀";
        assertSame(clean, Text.printable(clean));
        assertEquals("a\uFFFD[31mb\uFFFDc\uFFFDd\uFFFDe\uFFFDf\uFFFDg", Text.printable("a\u001b[31mb\nc\u202ed\u2066e\ud800f\u0085g"));
        assertNull(Text.printable(null));
    }

    @Test
    void boundedCutsLongStringsVisiblyAndNeverSplitsAPair() {
        assertEquals("abc", Text.bounded("abc", 3));
        assertEquals("ab...", Text.bounded("abcdefgh", 5));
        assertEquals(5, Text.bounded("x".repeat(1 << 20), 5).length());
        // a surrogate pair across the cut is dropped whole, not halved
        assertEquals("a...", Text.bounded("a😀bcdef", 5));
    }
}
