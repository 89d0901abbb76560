package io.agentvisor.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * One selector thread: all I/O, protocol state and deadlines of the agents assigned to it run here, so a
 * frozen agent costs a registered key and a timer, never a thread.
 */
final class EventLoop implements Executor {
    private static final System.Logger LOG = System.getLogger(EventLoop.class.getName());

    /** What a registered key's attachment implements. */
    interface Handler {
        void ready(SelectionKey key);

        /** An unexpected exception escaped {@link #ready}; the handler must reset itself. */
        void failed(Throwable t);
    }

    /** A deadline on this loop; cancel is cheap (lazy removal). */
    final class Timer implements Comparable<Timer> {
        final long at;
        private final long seq;
        private final Runnable task;
        private boolean cancelled;

        private Timer(long at, long seq, Runnable task) {
            this.at = at;
            this.seq = seq;
            this.task = task;
        }

        void cancel() {
            if (!cancelled) {
                cancelled = true;
                if (++cancelledTimers > 1024 && cancelledTimers > timers.size() / 2) {
                    timers.removeIf(t -> t.cancelled);
                    cancelledTimers = 0;
                }
            }
        }

        @Override
        public int compareTo(Timer o) {
            int c = Long.compare(at - o.at, 0); // nanoTime values compare by difference
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private final Selector selector;
    private final Thread thread;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private int cancelledTimers;
    private long timerSeq;
    /** Shared by every agent on this loop: reads happen one at a time on this thread. */
    final ByteBuffer readBuffer = ByteBuffer.allocateDirect(64 * 1024);
    private volatile boolean running = true;

    EventLoop(String name) {
        try {
            selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a selector", e);
        }
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    Selector selector() {
        return selector;
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    @Override
    public void execute(Runnable task) {
        if (!running) {
            throw new RejectedExecutionException("agent runtime is closed");
        }
        tasks.add(task);
        if (!inLoop()) {
            selector.wakeup();
        }
    }

    /** Runs task at System.nanoTime() ≥ at. Loop thread only. */
    Timer schedule(long at, Runnable task) {
        Timer t = new Timer(at, timerSeq++, task);
        timers.add(t);
        return t;
    }

    void shutdown() {
        running = false;
        selector.wakeup();
    }

    void awaitTermination(long millis) throws InterruptedException {
        thread.join(millis);
    }

    private void run() {
        while (running) {
            try {
                long wait = nextWaitMillis();
                int n = wait < 0 ? selector.select() : wait == 0 ? selector.selectNow() : selector.select(wait);
                if (n > 0) {
                    for (SelectionKey key : selector.selectedKeys()) {
                        dispatch(key);
                    }
                    selector.selectedKeys().clear();
                }
                runTasks();
                runTimers();
            } catch (Throwable t) {
                // the loop must survive anything: it carries every agent assigned to it
                LOG.log(Level.ERROR, "agent event loop error", t);
            }
        }
        runTasks(); // closers queued with the shutdown complete their calls
        try {
            selector.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }

    private long nextWaitMillis() {
        if (!tasks.isEmpty()) {
            return 0;
        }
        Timer t;
        while ((t = timers.peek()) != null && t.cancelled) {
            timers.poll();
            cancelledTimers--;
        }
        if (t == null) {
            return -1; // no deadline: block until I/O or a wakeup
        }
        long nanos = t.at - System.nanoTime();
        if (nanos <= 0) {
            return 0;
        }
        return Math.max(1, (nanos + 999_999) / 1_000_000); // round up: never fire early
    }

    private void dispatch(SelectionKey key) {
        Handler h = (Handler) key.attachment();
        try {
            h.ready(key);
        } catch (Throwable t) {
            h.failed(t);
        }
    }

    private void runTasks() {
        Runnable r;
        while ((r = tasks.poll()) != null) {
            try {
                r.run();
            } catch (Throwable t) {
                LOG.log(Level.ERROR, "agent event loop task failed", t);
            }
        }
    }

    private void runTimers() {
        long now = System.nanoTime();
        Timer t;
        while ((t = timers.peek()) != null && (t.cancelled || t.at - now <= 0)) {
            timers.poll();
            if (t.cancelled) {
                cancelledTimers--;
                continue;
            }
            t.cancelled = true; // fired: a later cancel() is a no-op
            try {
                t.task.run();
            } catch (Throwable e) {
                LOG.log(Level.ERROR, "agent timer failed", e);
            }
        }
    }
}
