package io.agentvisor.agent;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Cuts the agent's byte stream into reply lines. Pure (no I/O), driven by {@link GuestAgent}, which tells it
 * what the stream must contain next:
 * <ul>
 * <li>{@link #ignore()}: nothing is expected; any byte is stray (a late reply) and is dropped.</li>
 * <li>{@link #seekDelimiter()}: a guest-sync-delimited reply is awaited; everything up to the next 0xFF is
 * dropped, then one line is collected. Another 0xFF inside that line restarts it: 0xFF never occurs in the
 * agent's UTF-8 JSON, so it always marks the start of a sync reply.</li>
 * <li>{@link #expectLine()}: a command's reply; the next line is collected as is.</li>
 * </ul>
 * A line longer than the cap is reported as {@link Event#OVERFLOW} without ever holding more than the cap.
 */
final class ReplyFramer {
    static final byte DELIMITER = (byte) 0xFF;
    private static final int SMALL = 16 * 1024;

    enum Event {
        /** the input is used up; wait for more */
        NEED_MORE,
        /** bytes arrived while nothing was expected */
        STRAY,
        /** a whole line is ready: {@link #line()}, {@link #length()} */
        LINE,
        /** the line grew beyond the cap; the framer now ignores input */
        OVERFLOW
    }

    private enum Mode { IGNORE, SEEK, LINE }

    private final int cap;
    private Mode mode = Mode.IGNORE;
    private byte[] line = new byte[1024];
    private int len;
    private boolean delimited;

    ReplyFramer(int cap) {
        if (cap < 64) {
            throw new IllegalArgumentException("reply cap too small: " + cap);
        }
        this.cap = cap;
    }

    void ignore() {
        reset(Mode.IGNORE, false);
    }

    void seekDelimiter() {
        reset(Mode.SEEK, true);
    }

    void expectLine() {
        reset(Mode.LINE, false);
    }

    byte[] line() {
        return line;
    }

    /** Length of the line, without its newline. */
    int length() {
        return len;
    }

    private void reset(Mode m, boolean delim) {
        mode = m;
        delimited = delim;
        len = 0;
        if (line.length > SMALL) {
            line = new byte[1024]; // a big reply must not pin its buffer for the life of the connection
        }
    }

    /** Consumes input up to the next event. After LINE the caller must pick the next mode. */
    Event next(ByteBuffer in) {
        while (in.hasRemaining()) {
            switch (mode) {
                case IGNORE -> {
                    in.position(in.limit());
                    return Event.STRAY;
                }
                case SEEK -> {
                    int p = in.position();
                    int end = in.limit();
                    while (p < end && in.get(p) != DELIMITER) {
                        p++;
                    }
                    if (p == end) {
                        in.position(end);
                        return Event.NEED_MORE;
                    }
                    in.position(p + 1);
                    mode = Mode.LINE;
                    len = 0;
                }
                case LINE -> {
                    while (in.hasRemaining()) {
                        byte b = in.get();
                        if (b == '\n') {
                            if (isBlank()) {
                                len = 0; // empty lines carry nothing
                                continue;
                            }
                            mode = Mode.IGNORE; // the caller decides what comes next
                            return Event.LINE;
                        }
                        if (b == DELIMITER && delimited) {
                            len = 0; // a fresh sync reply starts here; the cut-off text before it is stale
                            continue;
                        }
                        if (len == cap) {
                            reset(Mode.IGNORE, false);
                            return Event.OVERFLOW;
                        }
                        if (len == line.length) {
                            line = Arrays.copyOf(line, (int) Math.min(cap, 2L * line.length));
                        }
                        line[len++] = b;
                    }
                    return Event.NEED_MORE;
                }
                default -> throw new AssertionError(mode);
            }
        }
        return Event.NEED_MORE;
    }

    private boolean isBlank() {
        for (int i = 0; i < len; i++) {
            byte b = line[i];
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }
}
