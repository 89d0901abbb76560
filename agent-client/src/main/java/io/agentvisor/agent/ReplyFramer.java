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
 * A line longer than the cap is reported as {@link Event#OVERFLOW} without ever holding more than the cap; the part
 * of a line beyond {@link #SMALL} bytes is reserved from the runtime's shared {@link LineMemory}, and a line that
 * finds no room there is reported as {@link Event#NO_MEMORY}.
 */
final class ReplyFramer {
    static final byte DELIMITER = (byte) 0xFF;
    static final int SMALL = 16 * 1024;

    enum Event {
        /** the input is used up; wait for more */
        NEED_MORE,
        /** bytes arrived while nothing was expected */
        STRAY,
        /** a whole line is ready: {@link #line()}, {@link #length()} */
        LINE,
        /** the line grew beyond the cap; the framer now ignores input */
        OVERFLOW,
        /** the line needs more of the shared long-reply memory than is free; the framer now ignores input */
        NO_MEMORY
    }

    private enum Mode { IGNORE, SEEK, LINE }

    private final int cap;
    private final LineMemory memory;
    /** Bytes of {@link #line} beyond {@link #SMALL}, reserved from {@link #memory}. */
    private long reserved;
    private Mode mode = Mode.IGNORE;
    private byte[] line = new byte[1024];
    private int len;
    private boolean delimited;

    ReplyFramer(int cap) {
        this(cap, LineMemory.unlimited());
    }

    ReplyFramer(int cap, LineMemory memory) {
        if (cap < 64) {
            throw new IllegalArgumentException("reply cap too small: " + cap);
        }
        this.cap = cap;
        this.memory = memory;
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
            memory.release(reserved);
            reserved = 0;
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
                            int grown = (int) Math.min(cap, 2L * line.length);
                            long more = Math.max(0, grown - SMALL) - reserved;
                            if (more > 0 && !memory.reserve(more)) {
                                reset(Mode.IGNORE, false);
                                return Event.NO_MEMORY;
                            }
                            reserved += Math.max(0, more);
                            line = Arrays.copyOf(line, grown);
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
