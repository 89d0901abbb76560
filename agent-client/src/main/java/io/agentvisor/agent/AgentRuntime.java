package io.agentvisor.agent;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The event loop(s) shared by all guest agent connections of a process: a fixed handful of selector threads
 * carries any number of agents, frozen or not. Create one per process (the node driver, a CLI run) and
 * {@link #open} one {@link GuestAgent} per VM.
 */
public final class AgentRuntime implements AutoCloseable {
    private final EventLoop[] loops;
    private final Executor completions;
    private final ExecutorService ownedCompletions;
    private final AtomicInteger next = new AtomicInteger();
    private final Set<GuestAgent> agents = ConcurrentHashMap.newKeySet();
    private final LineMemory lineMemory;
    private volatile boolean closed;

    /**
     * The memory all agents of a runtime may hold at once for the parts of reply lines beyond their first 16 KiB:
     * three replies at the 10 MiB cap, whatever number of guests sends long replies together.
     */
    public static final long DEFAULT_LONG_REPLY_MEMORY = 32L * 1024 * 1024;

    private AgentRuntime(int loopCount, Executor completions, long longReplyMemory) {
        this.lineMemory = new LineMemory(longReplyMemory);
        if (loopCount < 1) {
            throw new IllegalArgumentException("at least one event loop is needed");
        }
        AtomicInteger n = new AtomicInteger();
        if (completions == null) {
            // two threads: enough to run callers' dependent stages, and one slow stage does not stop the others
            ownedCompletions = Executors.newFixedThreadPool(2, r -> {
                Thread t = new Thread(r, "agentvisor-agent-complete-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            this.completions = ownedCompletions;
        } else {
            ownedCompletions = null;
            this.completions = completions;
        }
        loops = new EventLoop[loopCount];
        for (int i = 0; i < loopCount; i++) {
            loops[i] = new EventLoop("agentvisor-agent-loop-" + i);
        }
    }

    /** One event loop, a two-thread pool for completions. */
    public static AgentRuntime create() {
        return new AgentRuntime(1, null, DEFAULT_LONG_REPLY_MEMORY);
    }

    /**
     * @param loops        selector threads; agents are spread over them round-robin
     * @param completions  where {@link GuestAgent#call} futures complete (and so where non-async dependent
     *                     stages run); null for a runtime-owned two-thread pool
     */
    public static AgentRuntime create(int loops, Executor completions) {
        return new AgentRuntime(loops, completions, DEFAULT_LONG_REPLY_MEMORY);
    }

    /**
     * Like {@link #create(int, Executor)} with the memory for long reply lines shared by all agents (see
     * {@link #DEFAULT_LONG_REPLY_MEMORY}); a reply that finds none free fails as an agent error.
     */
    public static AgentRuntime create(int loops, Executor completions, long longReplyMemory) {
        return new AgentRuntime(loops, completions, longReplyMemory);
    }

    LineMemory lineMemory() {
        return lineMemory;
    }

    /** A connection to the agent at {@code socket} with default options; it connects on the first call. */
    public GuestAgent open(Path socket) {
        return open(socket, AgentOptions.defaults());
    }

    public GuestAgent open(Path socket, AgentOptions options) {
        Objects.requireNonNull(socket, "socket");
        Objects.requireNonNull(options, "options");
        if (closed) {
            throw new IllegalStateException("agent runtime is closed");
        }
        GuestAgent agent = new GuestAgent(socket, loops[Math.floorMod(next.getAndIncrement(), loops.length)],
                completions, this, options);
        agents.add(agent);
        return agent;
    }

    void forget(GuestAgent agent) {
        agents.remove(agent);
    }

    /** Closes every agent (their pending calls complete as not connected) and stops the threads. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (GuestAgent a : agents.toArray(GuestAgent[]::new)) {
            a.close();
        }
        for (EventLoop l : loops) {
            l.shutdown();
        }
        try {
            for (EventLoop l : loops) {
                l.awaitTermination(5_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (ownedCompletions != null) {
            ownedCompletions.shutdown();
            try {
                ownedCompletions.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
