package io.agentvisor.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.function.Predicate;

/**
 * The fast path of {@link GuestAgent#callAndWait}: a caller that blocks anyway runs its call on its own thread,
 * like a plain blocking client (write, wait in a selector of its own, read), instead of handing it to the event
 * loop and back, which would double a round trip. It only borrows an idle, synchronised connection from the
 * agent's {@link Lender}; everything else (queueing, connecting, guest-sync, timers) stays with the event loop.
 */
final class CallerRuns {
    private static final ThreadLocal<CallerRuns> CURRENT = ThreadLocal.withInitial(CallerRuns::open);

    /** What a connection lends its caller for one call; every method takes the connection's lock. */
    interface Lender {
        /**
         * If the connection is idle and in step: passes its channel to {@code watch} and, when that accepts it,
         * writes the call and returns true; from then on the caller drives the call and the loop keeps off the
         * channel until {@link #giveBack}. False (nothing done) when the loop must run the call.
         *
         * @param scratch a buffer for checking that nothing arrived meanwhile
         * @param wakeup wakes the caller when the connection is closed under it
         */
        boolean lend(Predicate<SocketChannel> watch, ByteBuffer scratch, Runnable wakeup);

        /** True once the call has an outcome. */
        boolean done();

        /**
         * Writes what is left, reads what arrived and, when {@code expired}, ends the call as not responding
         * unless its reply is there. Returns the interest to wait for next, or 0 when the call has an outcome.
         */
        int step(ByteBuffer buf, boolean expired);

        /** Hands the connection back to the event loop. */
        void giveBack();
    }

    private final Selector selector;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);

    private CallerRuns(Selector selector) {
        this.selector = selector;
    }

    private static CallerRuns open() {
        try {
            return new CallerRuns(Selector.open());
        } catch (IOException e) {
            return null; // no fast path on this thread; the loop runs its calls
        }
    }

    /**
     * Runs a call on the calling thread if the lender lends its connection, and returns true once the call has an
     * outcome; false (nothing done) when the event loop must run it.
     *
     * @param deadline {@link System#nanoTime} by which the command must have answered, unless {@code forever}
     */
    static boolean run(Lender lender, long deadline, boolean forever) {
        CallerRuns me = CURRENT.get();
        if (me == null) {
            return false;
        }
        SelectionKey[] key = new SelectionKey[1];
        if (!lender.lend(ch -> (key[0] = me.watch(ch)) != null, me.buffer, me.selector::wakeup)) {
            return false;
        }
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (!lender.done() && (forever || left > 0)) {
                    me.await(forever ? 0 : Math.max(1, (left + 999_999) / 1_000_000));
                }
                int interest = lender.step(me.buffer, !forever && deadline - System.nanoTime() <= 0);
                if (interest == 0) {
                    return true;
                }
                key[0].interestOps(interest);
            }
        } finally {
            me.unwatch(key[0]);
            lender.giveBack();
        }
    }

    /**
     * Watches ch for reading, or returns null if it cannot (the loop's path then handles the call). The key stays
     * registered between calls (interest 0), so back-to-back calls cost no epoll_ctl.
     */
    private SelectionKey watch(SocketChannel ch) {
        try {
            SelectionKey k = ch.keyFor(selector);
            if (k != null && k.isValid()) {
                k.interestOps(SelectionKey.OP_READ);
                return k;
            }
            if (k != null) {
                selector.selectNow(); // deregisters the cancelled key so ch can register anew
                selector.selectedKeys().clear();
            }
            return ch.register(selector, SelectionKey.OP_READ);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private void await(long millis) {
        try {
            selector.select(millis);
        } catch (IOException e) {
            // treated like a wakeup: the caller re-checks the connection and its deadline
        }
        selector.selectedKeys().clear();
    }

    /**
     * Stops watching until the next call. A key of a channel closed meanwhile is deregistered by this thread's
     * next select; the agent has seen the shutdown already (GuestAgent shuts a channel down before closing it).
     */
    private void unwatch(SelectionKey k) {
        try {
            k.interestOps(0);
        } catch (RuntimeException e) {
            // cancelled: the channel was closed
        }
    }
}
