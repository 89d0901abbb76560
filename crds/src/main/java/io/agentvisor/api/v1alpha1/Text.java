package io.agentvisor.api.v1alpha1;

import io.agentvisor.agent.BoundedReader;

/**
 * Strings that reach the API from places we do not control (guest agent replies, stored objects, other components'
 * messages): bounded in length and without characters that act on a terminal or reorder text.
 */
public final class Text {
    private Text() {
    }

    /**
     * {@code s} with every C0/C1 control character, Unicode format character (bidi overrides and isolates,
     * zero-width characters) and unpaired surrogate replaced by U+FFFD; null stays null.
     */
    public static String printable(String s) {
        return BoundedReader.printable(s); // the agent client cleans guest replies the same way while it parses them
    }

    /**
     * {@link #printable} and at most {@code max} characters (UTF-16 units, never splitting a surrogate pair); a
     * shortened string ends in "..." (within {@code max}).
     */
    public static String bounded(String s, int max) {
        if (s == null) {
            return null;
        }
        String head = s.length() > max ? s.substring(0, max) : s; // bound before scanning: a 1 MiB string costs max
        String p = printable(head);
        if (s.length() <= max) {
            return p;
        }
        int cut = Math.max(0, max - 3);
        if (cut > 0 && Character.isHighSurrogate(p.charAt(cut - 1))) {
            cut--;
        }
        return p.substring(0, cut) + "...".substring(0, Math.min(3, max));
    }

    /** Whether {@link #bounded} would change {@code s} in length (not only replace characters). */
    public static boolean exceeds(String s, int max) {
        return s != null && s.length() > max;
    }
}
