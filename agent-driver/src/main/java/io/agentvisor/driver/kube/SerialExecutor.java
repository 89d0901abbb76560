package io.agentvisor.driver.kube;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.jboss.logging.Logger;

/** Runs tasks one at a time, in order, on a shared pool: the per-VM actor. */
final class SerialExecutor implements Executor {
    private static final Logger LOG = Logger.getLogger(SerialExecutor.class);
    private final Executor pool;
    private final Queue<Runnable> tasks = new ArrayDeque<>();
    private boolean active;

    SerialExecutor(Executor pool) {
        this.pool = pool;
    }

    @Override
    public synchronized void execute(Runnable r) {
        tasks.add(r);
        if (!active) {
            active = true;
            submitNext();
        }
    }

    private void submitNext() {
        Runnable next = tasks.poll();
        if (next == null) {
            active = false;
            return;
        }
        try {
            pool.execute(() -> {
                try {
                    next.run();
                } catch (RuntimeException e) {
                    LOG.error("VM task failed", e);
                } finally {
                    synchronized (this) {
                        submitNext();
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            // the driver is shutting down
            tasks.clear();
            active = false;
        }
    }
}
