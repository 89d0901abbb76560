package io.agentvisor.agent;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory for long reply lines, shared by every agent of one {@link AgentRuntime}: each connection reads the first
 * {@link ReplyFramer#SMALL} bytes of a line into a buffer of its own, and reserves anything beyond from here while the
 * line lasts. However many guests send long replies at once, their lines never hold more than {@link #limit()} bytes
 * (plus the small buffers); a line that finds no room is an agent error, like one over the reply cap.
 */
final class LineMemory {
    private final long limit;
    private final AtomicLong used = new AtomicLong();

    LineMemory(long limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("long reply memory must not be negative: " + limit);
        }
        this.limit = limit;
    }

    /** Unlimited: for a framer on its own (tests). */
    static LineMemory unlimited() {
        return new LineMemory(Long.MAX_VALUE);
    }

    /** Reserves {@code bytes} if they fit. */
    boolean reserve(long bytes) {
        while (true) {
            long u = used.get();
            if (bytes > limit - u) {
                return false;
            }
            if (used.compareAndSet(u, u + bytes)) {
                return true;
            }
        }
    }

    void release(long bytes) {
        used.addAndGet(-bytes);
    }

    long limit() {
        return limit;
    }

    /** Bytes reserved now. */
    long used() {
        return used.get();
    }
}
