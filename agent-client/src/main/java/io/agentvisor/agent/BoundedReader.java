package io.agentvisor.agent;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the {@code return} value of a guest-info reply straight from the parser's token stream into typed values,
 * keeping at most {@link #MAX_ITEMS} items of any list, {@link #MAX_CHARS} characters of any string and
 * {@link #BUDGET} units (a character kept costs 1, a list item kept {@link #ITEM_COST}) for the whole reply; what is
 * beyond is skipped without being decoded or held (a string past the budget is {@link #CUT_MARK} alone). Kept
 * strings have control, format (bidi, zero-width) and unpaired surrogate characters replaced by U+FFFD; a string that
 * was cut ends in {@link #CUT_MARK}; a list that was cut is a {@link GuestList} that says how many items the guest
 * reported. Values of the wrong JSON type are left out (null or
 * empty), except at the top of the reply, where the wrong type makes the whole reply unreadable ({@link #shapeError}).
 * <p>
 * Every method consumes exactly the current value (the parser is on its first token), so a reader never loses its
 * place, whatever the guest sent.
 */
public final class BoundedReader {
    /** Items kept of one list (the status keeps at most 32 of any). */
    static final int MAX_ITEMS = 64;
    /** Characters kept of one string (the status keeps at most 256). */
    static final int MAX_CHARS = 1024;
    /** What one reply may keep in all: characters plus {@link #ITEM_COST} per list item. */
    static final int BUDGET = 16 * 1024;
    static final int ITEM_COST = 16;
    /** Ends a string that was cut. */
    static final char CUT_MARK = '\u2026';
    static final char REPLACEMENT = '\uFFFD';

    @FunctionalInterface
    interface Fields {
        /** Called with the parser on the field's value, which it must consume ({@link #skip()} if unwanted). */
        void field(String name) throws IOException;
    }

    @FunctionalInterface
    interface Item<T> {
        /** Reads the current value; null leaves the item out. */
        T read(BoundedReader r) throws IOException;
    }

    private final JsonParser p;
    /** The reply line the parser reads, and how to find a token in it (see {@link #tokenStart}). */
    private final byte[] line;
    private final int lineEnd;
    private final int base;
    private int budget;
    private int stringsCut;
    private long itemsDropped;
    private String shapeError;

    BoundedReader(JsonParser p, byte[] line, int off, int len, int budget) {
        this.p = p;
        this.line = line;
        this.lineEnd = off + len;
        this.base = off;
        this.budget = budget;
    }

    JsonParser parser() {
        return p;
    }

    /** Why the reply as a whole cannot be read (a top-level value of the wrong type), or null. */
    String shapeError() {
        return shapeError;
    }

    int stringsCut() {
        return stringsCut;
    }

    long itemsDropped() {
        return itemsDropped;
    }

    /** Skips the current value, however large, without decoding it. */
    void skip() throws IOException {
        p.skipChildren();
    }

    /**
     * An object: its fields, one by one, to {@code fields}; true if it was one. Anything else is skipped and, when
     * {@code required}, makes the reply unreadable.
     */
    boolean object(boolean required, Fields fields) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            wrongType(required, "an object");
            return false;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            fields.field(name);
        }
        return true;
    }

    /**
     * A list, bounded: the first items that fit {@link #MAX_ITEMS} and the budget, and the count of all. Anything
     * but an array is skipped and gives an empty list (when {@code required}: null, and the reply is unreadable).
     */
    <T> GuestList<T> list(boolean required, Item<T> item) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            wrongType(required, "an array");
            return required ? null : GuestList.empty();
        }
        List<T> kept = new ArrayList<>();
        long reported = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            reported++;
            if (kept.size() < MAX_ITEMS && budget >= ITEM_COST) {
                budget -= ITEM_COST;
                T v = item.read(this);
                if (v != null) {
                    kept.add(v);
                    continue;
                }
            } else {
                skip();
            }
            itemsDropped++;
        }
        return GuestList.of(kept, reported);
    }

    /**
     * A string, bounded and printable; numbers and booleans as their JSON text; null for null and anything else
     * (skipped).
     */
    String string() throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_STRING) {
            if (budget == 0) {
                stringsCut++;
                return String.valueOf(CUT_MARK);
            }
            return printable(bounded());
        }
        if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT || t == JsonToken.VALUE_TRUE
                || t == JsonToken.VALUE_FALSE) {
            // at most the parser's number length limit
            return budget == 0 ? String.valueOf(CUT_MARK) : cut(p.getText());
        }
        skip();
        return null;
    }

    /** An integral number that fits a long (a fraction is dropped); else null. */
    Long longValue() throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NUMBER_INT) {
            return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? null : p.getLongValue();
        }
        if (t == JsonToken.VALUE_NUMBER_FLOAT) {
            double d = p.getDoubleValue();
            return d >= Long.MIN_VALUE && d <= Long.MAX_VALUE ? (long) d : null;
        }
        skip();
        return null;
    }

    /** An integral number that fits an int (a fraction is dropped); else null. */
    Integer intValue() throws IOException {
        Long l = longValue();
        return l != null && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE ? l.intValue() : null;
    }

    /** A finite number; else null. */
    Double doubleValue() throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
            double d = p.getDoubleValue();
            return Double.isFinite(d) ? d : null;
        }
        skip();
        return null;
    }

    /** true or false; {@code otherwise} for anything else. */
    boolean bool(boolean otherwise) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) {
            return t == JsonToken.VALUE_TRUE;
        }
        skip();
        return otherwise;
    }

    /** The reply's top-level value is not what the command returns: the reply is unreadable; the value is skipped. */
    void unreadable(String expected) throws IOException {
        wrongType(true, expected);
    }

    private void wrongType(boolean required, String expected) throws IOException {
        if (required && shapeError == null) {
            shapeError = "expected " + expected + ", got " + describe(p.currentToken());
        }
        skip();
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "nothing";
        }
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.toString();
        };
    }

    /** The most characters the next string may keep. */
    private int limit() {
        return Math.max(1, Math.min(MAX_CHARS, budget));
    }

    private String cut(String s) {
        int max = limit();
        String kept = s;
        if (s.length() > max) {
            stringsCut++;
            kept = s.substring(0, max - 1) + CUT_MARK;
        }
        budget = Math.max(0, budget - kept.length());
        return kept;
    }

    /**
     * The current string token, decoded from the reply's bytes only as far as it is kept: the parser has not decoded
     * it yet and skips the rest when it moves on. Falls back to the parser's own decoding if the token cannot be
     * found in the line (never expected).
     */
    private String bounded() throws IOException {
        int start = tokenStart();
        if (start < 0) {
            return cut(p.getText());
        }
        int max = limit();
        StringBuilder b = new StringBuilder(Math.min(max, 64));
        int i = start + 1;
        boolean complete = false;
        while (i < lineEnd) {
            int c = line[i] & 0xFF;
            if (c == '"') {
                complete = true;
                break;
            }
            if (b.length() >= max) {
                break;
            }
            if (c == '\\') {
                if (i + 1 >= lineEnd) {
                    break;
                }
                int e = line[i + 1];
                switch (e) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'u' -> {
                        int v = i + 6 <= lineEnd ? hex4(i + 2) : -1;
                        b.append(v < 0 ? REPLACEMENT : (char) v);
                        i += 6;
                        continue;
                    }
                    default -> b.append((char) e); // \" \\ \/ (the parser rejects any other escape)
                }
                i += 2;
                continue;
            }
            if (c < 0x80) {
                b.append((char) c);
                i++;
                continue;
            }
            int n = c >= 0xF0 && c < 0xF8 ? 4 : c >= 0xE0 ? (c < 0xF0 ? 3 : 0) : c >= 0xC2 ? 2 : 0;
            int cp = n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
            boolean ok = n > 0 && i + n <= lineEnd;
            for (int k = 1; ok && k < n; k++) {
                int cc = line[i + k] & 0xFF;
                ok = (cc & 0xC0) == 0x80;
                cp = cp << 6 | cc & 0x3F;
            }
            if (!ok || cp > Character.MAX_CODE_POINT || n == 3 && cp < 0x800 || n == 4 && cp < 0x10000) {
                b.append(REPLACEMENT);
                i++;
                continue;
            }
            b.appendCodePoint(cp);
            i += n;
        }
        String s = b.toString();
        if (!complete) {
            stringsCut++;
            int keep = Math.min(s.length(), max - 1);
            s = s.substring(0, keep) + CUT_MARK;
        }
        budget = Math.max(0, budget - s.length());
        return s;
    }

    private int hex4(int at) {
        int v = 0;
        for (int k = 0; k < 4; k++) {
            int d = Character.digit(line[at + k], 16);
            if (d < 0) {
                return -1;
            }
            v = v << 4 | d;
        }
        return v;
    }

    /** Where the current string token's opening quote is in the line (Jackson counts from the parse's start), or -1. */
    private int tokenStart() {
        long at = base + p.currentTokenLocation().getByteOffset();
        return at >= base && at < lineEnd && line[(int) at] == '"' ? (int) at : -1;
    }

    /**
     * {@code s} with every C0/C1 control, format (bidi overrides and isolates, zero-width), line/paragraph separator
     * and unpaired surrogate character replaced by U+FFFD: harmless on a terminal and in a status.
     */
    public static String printable(String s) {
        if (s == null) {
            return null;
        }
        StringBuilder b = null;
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            int n = Character.charCount(cp);
            int type = Character.getType(cp);
            boolean bad = type == Character.CONTROL || type == Character.FORMAT || type == Character.SURROGATE
                    || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
            if (bad && b == null) {
                b = new StringBuilder(s.length()).append(s, 0, i);
            }
            if (b != null) {
                if (bad) {
                    b.append(REPLACEMENT);
                } else {
                    b.append(s, i, i + n);
                }
            }
            i += n;
        }
        return b == null ? s : b.toString();
    }
}
