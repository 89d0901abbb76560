package io.agentvisor.agent;

import io.agentvisor.agent.AgentCommand.VmEvent;
import io.agentvisor.agent.AgentOutcome.AgentError;
import io.agentvisor.agent.AgentOutcome.CommandError;
import io.agentvisor.agent.AgentOutcome.NotConnected;
import io.agentvisor.agent.AgentOutcome.NotResponding;
import io.agentvisor.agent.AgentOutcome.Phase;
import io.agentvisor.agent.AgentOutcome.Success;
import io.agentvisor.agent.GuestCommands.ShutdownMode;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * One guest agent (one AF_UNIX socket, one connection at a time), with libvirt's response-timeout semantics.
 * This class owns the wire protocol and every timeout decision:
 * <ul>
 * <li>Calls are serialised (qemu-ga answers one request at a time). The deadline rule: a call may take at most
 * what libvirt would spend on it, its sync wait plus its command wait, counted from the moment it was submitted
 * (no deadline with Block). Time queued behind other calls is taken from that budget: a queued call fails as
 * not responding (QUEUED) when the budget is gone; a call that starts with budget left waits for the sync at
 * most min(sync wait, budget left) and for the command at most min(command wait, budget left). A call that
 * did not queue therefore gets libvirt's waits exactly; one that queued nearly its whole budget gets a short
 * sync, not a full one.</li>
 * <li>The sync wait comes from the VM's timeout alone ({@link ResponseTimeout#syncWait()}, as libvirt); the
 * command wait from the call's own timeout when it has one, else the per-command override, else the VM's.
 * Calls that took their waits from these settings and are still queued are re-timed when the settings change
 * (so leaving Block releases what waits behind a blocked call); the current call keeps the waits it was sent
 * with.</li>
 * <li>When QEMU's view of the guest is fed in ({@link #setGuestPortOpen}, {@link #setPaused}, {@link #vmEvent}),
 * calls fail at once as not connected while the guest has not opened its end of the agent channel or the VM is
 * paused, and calls that get no reply (guest-shutdown) complete on the VM event they await.</li>
 * <li>A fresh connection, and the first call after a timeout or stray data, first sends 0xFF and
 * guest-sync-delimited with a random id and drops everything before the matching reply.</li>
 * <li>EOF, a reply over the cap or garbage where a reply must be is an {@link AgentError}: the connection is
 * dropped and the next call opens a new one. A timeout is {@link NotResponding}: the connection stays.</li>
 * </ul>
 * Thread-safe. Calls never block a thread while waiting for the agent; {@link #call} futures always complete
 * normally, on the runtime's completion executor, and (unless the timeout is Block) by their deadline.
 * <p>
 * The connection's state lives in one {@link Session}, driven by the event loop under a lock that is only ever
 * held for non-blocking work. The one exception is {@link #callAndWait}'s fast path: a caller whose agent is idle
 * and synchronised borrows the connection for its own call ({@link CallerRuns}).
 */
public final class GuestAgent implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(GuestAgent.class.getName());
    private static final int MAX_READS_PER_WAKEUP = 16; // 1 MiB, then let the other agents on the loop run
    private static final String SYNC_DELIMITED = "guest-sync-delimited";
    private static final long CONNECT_RETRY_NANOS = 20_000_000;

    private final Path socket;
    private final EventLoop loop;
    private final Executor completions;
    private final AgentRuntime runtime;
    private final int maxReplyBytes;
    private final LineMemory lineMemory;
    private volatile ResponseTimeout responseTimeout;
    private final Map<String, ResponseTimeout> commandTimeouts = new ConcurrentHashMap<>();
    private volatile Set<String> blockedCommands;
    private volatile boolean connected;
    /** QEMU's frontend-open of the agent port; null while nobody tells (a bare socket, the CLI). */
    private volatile Boolean guestPortOpen;
    private volatile boolean paused;
    private volatile PendingCall pending;
    private volatile Instant lastReply;
    private volatile boolean closed;
    private final Session session;

    GuestAgent(Path socket, EventLoop loop, Executor completions, AgentRuntime runtime, AgentOptions options) {
        this.socket = Objects.requireNonNull(socket);
        this.loop = loop;
        this.completions = completions;
        this.runtime = runtime;
        this.maxReplyBytes = options.maxReplyBytes();
        this.lineMemory = runtime.lineMemory();
        this.responseTimeout = options.responseTimeout();
        this.commandTimeouts.putAll(options.commandTimeouts());
        this.blockedCommands = options.blockedCommands();
        this.session = new Session();
    }

    public Path socket() {
        return socket;
    }

    public ResponseTimeout responseTimeout() {
        return responseTimeout;
    }

    /**
     * Takes effect for the next call and for the calls still queued that took their waits from the settings
     * (re-timed from their submission); the current call keeps the waits it was sent with.
     */
    public void setResponseTimeout(ResponseTimeout timeout) {
        this.responseTimeout = Objects.requireNonNull(timeout);
        retimeQueued();
    }

    /**
     * Overrides the command wait of one command (null removes the override), like {@link #setResponseTimeout}
     * for queued calls. guest-shutdown keeps 60 s.
     */
    public void setCommandTimeout(String command, ResponseTimeout timeout) {
        if (timeout == null) {
            commandTimeouts.remove(command);
        } else {
            commandTimeouts.put(command, timeout);
        }
        retimeQueued();
    }

    private void retimeQueued() {
        try {
            loop.execute(() -> session.locked(session::retime));
        } catch (RejectedExecutionException e) {
            // closed: nothing is queued any more
        }
    }

    /**
     * What QEMU says of the guest's end of the agent channel (QMP {@code query-chardev} frontend-open, event
     * {@code VSERPORT_CHANGE}). While it is closed, calls fail at once as not connected; when it closes, the
     * current and queued calls fail so (except a call awaiting a VM event, which that completes, as libvirt)
     * and the connection is dropped: whatever answers next is a new agent and gets a fresh sync.
     */
    public void setGuestPortOpen(boolean open) {
        Boolean was = guestPortOpen;
        guestPortOpen = open;
        if (!open && !Boolean.FALSE.equals(was)) {
            try {
                loop.execute(() -> session.locked(session::guestPortClosed));
            } catch (RejectedExecutionException e) {
                // closed
            }
        }
    }

    /** Whether the VM is paused (QMP STOP / RESUME): new calls fail at once as not connected while it is. */
    public void setPaused(boolean paused) {
        this.paused = paused;
    }

    /** QEMU reported a VM event: completes the current call if it awaits exactly this event (guest-shutdown). */
    public void vmEvent(VmEvent event) {
        try {
            loop.execute(() -> session.locked(() -> session.onVmEvent(event)));
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    /** The call the agent is busy with, if any: for a Block call the only thing left to observe. */
    public Optional<PendingCall> pending() {
        return Optional.ofNullable(pending);
    }

    public Map<String, ResponseTimeout> commandTimeouts() {
        return Map.copyOf(commandTimeouts);
    }

    /** Commands refused locally with a {@link CommandError#BLOCKED} error instead of being sent. */
    public void setBlockedCommands(Collection<String> commands) {
        this.blockedCommands = Set.copyOf(commands);
    }

    public Set<String> blockedCommands() {
        return blockedCommands;
    }

    /**
     * Whether the agent is connected as libvirt and KubeVirt mean it: the guest opened its end of the agent
     * channel, as last fed in by {@link #setGuestPortOpen}. Without that feed (a bare socket), whether a
     * connection to the socket is open; the event loop notices an agent going away between calls by itself.
     */
    public boolean isConnected() {
        Boolean port = guestPortOpen;
        return port != null ? port : connected;
    }

    /** When the agent last answered a command (responsiveness, as opposed to {@link #isConnected()}). */
    public Optional<Instant> lastReply() {
        return Optional.ofNullable(lastReply);
    }

    /** Sends a command. The future completes normally with the outcome, on the completion executor. */
    public <T> CompletableFuture<AgentOutcome<T>> call(AgentCommand<T> command) {
        return submit(command, false, null);
    }

    /**
     * Sends a command with its own timeout (libvirt's per-call timeout, as {@code virsh qemu-agent-command
     * --timeout}): it sets the command wait only, never the sync wait, and no setting changes it later.
     */
    public <T> CompletableFuture<AgentOutcome<T>> call(AgentCommand<T> command, ResponseTimeout own) {
        return submit(command, false, Objects.requireNonNull(own));
    }

    /**
     * Sends a command and waits for its outcome: for CLIs and simple callers. When the agent is idle and
     * synchronised, the call runs on the calling thread ({@link CallerRuns}); otherwise it queues like
     * {@link #call} and is completed straight from the loop.
     *
     * @throws IllegalStateException on the event loop's own thread (e.g. in a callback run inline), which
     *                               would wait for itself
     */
    public <T> AgentOutcome<T> callAndWait(AgentCommand<T> command) {
        if (loop.inLoop()) {
            throw new IllegalStateException("callAndWait on the agent event loop thread would deadlock; use call()");
        }
        CompletableFuture<AgentOutcome<T>> future = new CompletableFuture<>();
        Call<T> call = prepare(command, future, true, null);
        if (call != null && !CallerRuns.run(session.lender(call), call.submitted + call.commandWait,
                call.commandWait < 0)) {
            enqueue(call);
        }
        return AgentOutcome.await(future);
    }

    public CompletableFuture<AgentOutcome<Void>> ping() {
        return call(GuestCommands.ping());
    }

    public CompletableFuture<AgentOutcome<GuestAgentInfo>> info() {
        return call(GuestCommands.info());
    }

    public CompletableFuture<AgentOutcome<GuestOsInfo>> osInfo() {
        return call(GuestCommands.osInfo());
    }

    public CompletableFuture<AgentOutcome<String>> hostName() {
        return call(GuestCommands.hostName());
    }

    public CompletableFuture<AgentOutcome<GuestTimezone>> timezone() {
        return call(GuestCommands.timezone());
    }

    public CompletableFuture<AgentOutcome<List<GuestUser>>> users() {
        return call(GuestCommands.users());
    }

    public CompletableFuture<AgentOutcome<List<GuestFilesystem>>> fsInfo() {
        return call(GuestCommands.fsInfo());
    }

    public CompletableFuture<AgentOutcome<List<GuestNetworkInterface>>> networkInterfaces() {
        return call(GuestCommands.networkInterfaces());
    }

    public CompletableFuture<AgentOutcome<Instant>> time() {
        return call(GuestCommands.time());
    }

    public CompletableFuture<AgentOutcome<Void>> shutdown(ShutdownMode mode) {
        return call(GuestCommands.shutdown(mode));
    }

    /** Everything the agent can tell, leaving out what it does not offer; see {@link GuestInfo#collect}. */
    public CompletableFuture<AgentOutcome<GuestInfo>> guestInfo() {
        return GuestInfo.collect(this);
    }

    /** Fails queued and running calls as not connected and closes the connection. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        runtime.forget(this);
        try {
            loop.execute(() -> session.locked(session::shutdown));
        } catch (RejectedExecutionException e) {
            // the runtime's loop is gone and took the connection with it
        }
    }

    @Override
    public String toString() {
        return "GuestAgent[" + socket + "]";
    }

    private <T> CompletableFuture<AgentOutcome<T>> submit(AgentCommand<T> command, boolean direct,
            ResponseTimeout own) {
        CompletableFuture<AgentOutcome<T>> future = new CompletableFuture<>();
        Call<T> call = prepare(command, future, direct, own);
        if (call != null) {
            enqueue(call);
        }
        return future;
    }

    /** The call with its deadlines fixed now, or null when it was refused locally (future completed). */
    private <T> Call<T> prepare(AgentCommand<T> command, CompletableFuture<AgentOutcome<T>> future, boolean direct,
            ResponseTimeout explicit) {
        String name = command.name();
        if (blockedCommands.contains(name)) {
            future.complete(new CommandError<>(name, CommandError.BLOCKED,
                    name + " is blocked for this guest, not sent to the agent"));
            return null;
        }
        if (closed) {
            future.complete(new NotConnected<>(name, "the agent connection was closed"));
            return null;
        }
        String notConnected = notConnectedReason();
        if (notConnected != null) {
            future.complete(new NotConnected<>(name, notConnected));
            return null;
        }
        boolean followsSettings = explicit == null && command.fixedTimeout() == null;
        Call<T> call = new Call<>(command, System.nanoTime(), future, direct, followsSettings);
        ResponseTimeout vm = responseTimeout;
        call.time(vm, explicit != null ? explicit : command.fixedTimeout() != null ? command.fixedTimeout()
                : commandTimeouts.getOrDefault(name, vm));
        return call;
    }

    /** Why calls fail at once as not connected now, from QEMU's view of the guest; null when they may go. */
    private String notConnectedReason() {
        if (Boolean.FALSE.equals(guestPortOpen)) {
            return "QEMU guest agent is not connected: the guest has not opened its end of the agent channel";
        }
        if (paused) {
            return "QEMU guest agent is not connected: the VM is paused";
        }
        return null;
    }

    private void enqueue(Call<?> call) {
        try {
            loop.execute(() -> session.locked(() -> session.enqueue(call)));
        } catch (RejectedExecutionException e) {
            fail(call, new NotConnected<>(call.name(), "the agent runtime is closed"));
        }
    }

    private <T> void finish(Call<T> call, AgentOutcome<T> outcome) {
        if (call.direct) {
            call.future.complete(outcome); // only a blocked waiter depends on it: cheap on the loop
            return;
        }
        try {
            // callers' dependent stages run off the loop, so a slow callback never delays another agent
            completions.execute(() -> call.future.complete(outcome));
        } catch (RejectedExecutionException e) {
            call.future.complete(outcome);
        }
    }

    @SuppressWarnings("unchecked")
    private void fail(Call<?> call, AgentOutcome<?> failure) {
        finish((Call<Object>) call, (AgentOutcome<Object>) failure);
    }

    private static final class Call<T> {
        final AgentCommand<T> command;
        final long submitted;
        final CompletableFuture<AgentOutcome<T>> future;
        final boolean direct;
        /** the waits come from the VM's settings (not the command's fixed timeout or the caller's own) */
        final boolean followsSettings;
        long syncWait;
        /** nanoseconds, -1 for forever (Block) */
        long commandWait;
        /** submitted + syncWait + commandWait (System.nanoTime()), or Long.MAX_VALUE for none (Block) */
        long deadline;
        boolean waited;
        EventLoop.Timer queueTimer;
        Instant started;

        Call(AgentCommand<T> command, long submitted, CompletableFuture<AgentOutcome<T>> future, boolean direct,
             boolean followsSettings) {
            this.command = command;
            this.submitted = submitted;
            this.future = future;
            this.direct = direct;
            this.followsSettings = followsSettings;
        }

        /** Fixes the waits from the VM's timeout (the sync) and the call's own (the command), and the deadline. */
        void time(ResponseTimeout vm, ResponseTimeout own) {
            syncWait = vm.syncWait().toNanos();
            commandWait = own.commandWait().map(Duration::toNanos).orElse(-1L);
            deadline = commandWait < 0 ? Long.MAX_VALUE : submitted + syncWait + commandWait;
        }

        String name() {
            return command.name();
        }

        Duration elapsed() {
            return Duration.ofNanos(System.nanoTime() - submitted);
        }
    }

    /**
     * The connection's state machine. Every method runs with {@link #lock} held, which is never held across a
     * wait: on the event loop thread, or on the thread of a caller the connection is lent to ({@link #lender}).
     * Timers and pump() are the loop's alone (its timer queue is not thread-safe).
     */
    private final class Session implements EventLoop.Handler {
        private final ReentrantLock lock = new ReentrantLock();
        /** Wakes the caller the connection is lent to for {@link #current}; null while the loop drives it. */
        private Runnable lentTo;
        private final ArrayDeque<Call<?>> queue = new ArrayDeque<>();
        private final ReplyFramer framer = new ReplyFramer(maxReplyBytes, lineMemory);
        private Call<?> current;
        private Phase phase;
        private SocketChannel channel;
        private SelectionKey key;
        private boolean synced;
        private long syncId;
        private ByteBuffer out;
        private EventLoop.Timer deadline;

        void locked(Runnable r) {
            lock.lock();
            try {
                r.run();
            } finally {
                lock.unlock();
            }
        }

        /** The connection as {@link CallerRuns} borrows it to run call on its caller's thread. */
        CallerRuns.Lender lender(Call<?> call) {
            return new CallerRuns.Lender() {
                @Override
                public boolean lend(Predicate<SocketChannel> watch, ByteBuffer scratch, Runnable wakeup) {
                    if (!lock.tryLock()) {
                        return false;
                    }
                    try {
                        if (closed || current != null || !queue.isEmpty() || !synced || out != null || channel == null
                                || !channel.isConnected() || !nothingArrived(scratch) || !watch.test(channel)) {
                            return false;
                        }
                        lentTo = wakeup;
                        current = call;
                        call.started = Instant.now();
                        startCommand(); // writes; arm() leaves the deadline to the caller while lent
                        return true;
                    } finally {
                        lock.unlock();
                    }
                }

                @Override
                public boolean done() {
                    return call.future.isDone();
                }

                @Override
                public int step(ByteBuffer buf, boolean expired) {
                    lock.lock();
                    try {
                        if (current == call && out != null) {
                            flush();
                        }
                        if (current == call && channel != null) {
                            read(buf);
                        }
                        if (current == call && expired) {
                            expire(call, Phase.COMMAND, buf);
                        }
                        return current != call ? 0 : SelectionKey.OP_READ | (out != null ? SelectionKey.OP_WRITE : 0);
                    } finally {
                        lock.unlock();
                    }
                }

                @Override
                public void giveBack() {
                    lock.lock();
                    try {
                        lentTo = null;
                        updateInterest();
                        if (!queue.isEmpty()) {
                            loop.execute(() -> locked(Session.this::pump)); // calls queued meanwhile
                        }
                    } catch (RejectedExecutionException e) {
                        shutdown();
                    } finally {
                        lock.unlock();
                    }
                }
            };
        }

        /**
         * Reads what arrived on an idle connection: true if nothing did. Stray bytes mean the agent is out of
         * step (resynchronise), EOF that it went away (reconnect).
         */
        private boolean nothingArrived(ByteBuffer buf) {
            buf.clear();
            int n;
            try {
                n = channel.read(buf);
            } catch (IOException e) {
                n = -1;
            }
            if (n < 0) {
                closeChannel();
            } else if (n > 0) {
                synced = false;
            }
            return n == 0;
        }

        void enqueue(Call<?> call) {
            if (closed) {
                fail(call, new NotConnected<>(call.name(), "the agent connection was closed"));
                return;
            }
            if (current != null || !queue.isEmpty()) {
                call.waited = true;
                armQueueTimer(call);
            }
            queue.add(call);
            pump();
        }

        private void armQueueTimer(Call<?> call) {
            if (call.queueTimer != null) {
                call.queueTimer.cancel();
                call.queueTimer = null;
            }
            if (call.deadline != Long.MAX_VALUE) {
                call.queueTimer = loop.schedule(call.deadline, () -> locked(() -> expireQueued(call)));
            }
        }

        /** The settings changed: queued calls that follow them take the new waits, from their submission. */
        void retime() {
            ResponseTimeout vm = responseTimeout;
            for (Call<?> call : List.copyOf(queue)) {
                if (call.followsSettings) {
                    call.time(vm, commandTimeouts.getOrDefault(call.name(), vm));
                    if (call.waited) {
                        armQueueTimer(call);
                    }
                }
            }
        }

        /** The guest closed its end of the agent channel: nothing will answer what was sent or queued. */
        void guestPortClosed() {
            Call<?> call = current;
            if (call != null && phase == Phase.COMMAND && call.command.awaitEvent() != null) {
                completeAwaited(call); // libvirt: the agent going away wakes an awaited-event waiter without error
            } else if (call != null) {
                dropCurrent();
                fail(call, new NotConnected<>(call.name(), "QEMU guest agent is not connected: the guest closed its "
                        + "end of the agent channel"));
            }
            if (lentTo != null) {
                lentTo.run();
            }
            closeChannel();
            Call<?> queued;
            while ((queued = queue.poll()) != null) {
                if (queued.queueTimer != null) {
                    queued.queueTimer.cancel();
                }
                fail(queued, new NotConnected<>(queued.name(), "QEMU guest agent is not connected: the guest closed "
                        + "its end of the agent channel"));
            }
        }

        void onVmEvent(VmEvent event) {
            Call<?> call = current;
            if (call != null && phase == Phase.COMMAND && call.command.awaitEvent() == event) {
                completeAwaited(call);
                if (lentTo != null) {
                    lentTo.run();
                } else {
                    pump();
                }
            }
        }

        /** A call that gets no reply took effect: success, and the agent's stream starts afresh (resync). */
        private void completeAwaited(Call<?> call) {
            dropCurrent();
            synced = false;
            framer.ignore();
            succeedWithoutReply(call);
        }

        private void expireQueued(Call<?> call) {
            if (queue.remove(call)) {
                fail(call, new NotResponding<>(call.name(), Phase.QUEUED, call.elapsed()));
            }
        }

        /** Starts queued calls while the agent is free. The only place a call becomes current. */
        private void pump() {
            while (current == null && !queue.isEmpty()) {
                Call<?> call = queue.poll();
                if (call.queueTimer != null) {
                    call.queueTimer.cancel();
                }
                if (call.future.isDone()) {
                    continue; // cancelled by its caller
                }
                String notConnected = notConnectedReason();
                if (notConnected != null) {
                    fail(call, new NotConnected<>(call.name(), notConnected));
                    continue;
                }
                if (channel != null && channel.isConnected()) {
                    // the agent may have gone away or sent stray bytes since the last call, and this loop may not
                    // have seen it yet: reconnect or resynchronise now rather than write into a closed connection
                    nothingArrived(loop.readBuffer);
                }
                Refused refused = connect();
                if (refused != null && !refused.backlogFull()) {
                    fail(call, new NotConnected<>(call.name(), refused.reason()));
                    continue;
                }
                current = call;
                call.started = Instant.now();
                if (refused != null) {
                    // a frozen agent accepts nothing and its listen backlog fills up: that is not responding,
                    // so keep knocking within the sync budget instead of failing as not connected
                    phase = Phase.SYNC;
                    showPending();
                    arm(budget(call.syncWait));
                    retryConnectLater();
                } else if (synced) {
                    startCommand();
                } else {
                    startSync();
                }
            }
        }

        /** Opens the connection unless it is open: null when connected or connecting, else why not. */
        private Refused connect() {
            if (channel != null) {
                return null;
            }
            if (!Files.exists(socket)) {
                return new Refused("no guest agent socket at " + socket, false);
            }
            SocketChannel ch = null;
            try {
                ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                ch.configureBlocking(false);
                boolean done = ch.connect(UnixDomainSocketAddress.of(socket));
                key = ch.register(loop.selector(), done ? SelectionKey.OP_READ : SelectionKey.OP_CONNECT, this);
                channel = ch;
                synced = false;
                framer.ignore();
                connected = done;
                return null;
            } catch (IOException | RuntimeException e) {
                closeQuietly(ch);
                return new Refused("cannot connect to " + socket + ": " + describe(e), isEagain(e));
            }
        }

        private void retryConnectLater() {
            Call<?> call = current;
            loop.schedule(System.nanoTime() + CONNECT_RETRY_NANOS, () -> locked(() -> {
                if (current != call || phase != Phase.SYNC || channel != null) {
                    return; // timed out or closed meanwhile
                }
                Refused refused = connect();
                if (refused == null) {
                    sendSync(); // the sync deadline armed at the first attempt still holds
                } else if (refused.backlogFull()) {
                    retryConnectLater();
                } else {
                    dropCurrent();
                    fail(call, new NotConnected<>(call.name(), refused.reason()));
                    pump();
                }
            }));
        }

        private void startSync() {
            phase = Phase.SYNC;
            showPending();
            arm(budget(current.syncWait));
            sendSync();
        }

        /** A wait of the current call bounded by its deadline (-1: forever). */
        private long budget(long wait) {
            long deadline = current.deadline;
            if (deadline == Long.MAX_VALUE) {
                return wait;
            }
            long left = Math.max(0, deadline - System.nanoTime());
            return wait < 0 ? left : Math.min(wait, left);
        }

        private void showPending() {
            pending = new PendingCall(current.name(), phase, current.started, current.commandWait < 0);
        }

        private void sendSync() {
            syncId = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
            byte[] body = ("{\"execute\":\"" + SYNC_DELIMITED + "\",\"arguments\":{\"id\":" + syncId + "}}\n")
                    .getBytes(StandardCharsets.US_ASCII);
            // the leading 0xFF makes the agent drop any half request left by an abandoned call
            out = ByteBuffer.allocate(1 + body.length).put(ReplyFramer.DELIMITER).put(body).flip();
            framer.seekDelimiter();
            flush();
        }

        private void startCommand() {
            phase = Phase.COMMAND;
            showPending();
            out = ByteBuffer.wrap(current.command.wireBytes());
            framer.expectLine();
            arm(budget(current.commandWait));
            flush();
        }

        private void arm(long budgetNanos) {
            cancelDeadline();
            if (budgetNanos >= 0 && lentTo == null) {
                Call<?> call = current;
                Phase p = phase;
                deadline = loop.schedule(System.nanoTime() + budgetNanos, () -> locked(() -> {
                    expire(call, p, loop.readBuffer);
                    pump();
                }));
            }
        }

        private void cancelDeadline() {
            if (deadline != null) {
                deadline.cancel();
                deadline = null;
            }
        }

        /** The deadline of call in phase p has passed: not responding, unless the reply is already there. */
        private void expire(Call<?> call, Phase p, ByteBuffer buf) {
            if (current != call || phase != p) {
                return;
            }
            // the reply may already be in the socket buffer: NoWait means "unless the reply is already there"
            if (channel != null && channel.isConnected()) {
                read(buf);
            }
            if (current == call && phase == p) {
                deadline = null;
                current = null;
                phase = null;
                pending = null;
                synced = false; // a late reply may follow: the next call must re-synchronise
                out = null;
                framer.ignore();
                updateInterest();
                fail(call, new NotResponding<>(call.name(), p, call.elapsed()));
            }
        }

        @Override
        public void ready(SelectionKey k) {
            lock.lock();
            try {
                if (lentTo == null) {
                    onReady(k);
                }
            } finally {
                lock.unlock();
            }
        }

        private void onReady(SelectionKey k) {
            if (k != key || !k.isValid()) {
                return;
            }
            if (k.isConnectable()) {
                try {
                    if (channel.finishConnect()) {
                        connected = true;
                        updateInterest();
                        flush();
                    }
                } catch (IOException e) {
                    Call<?> call = current;
                    dropCurrent();
                    closeChannel();
                    if (call != null) {
                        fail(call, new NotConnected<>(call.name(), "cannot connect to " + socket + ": " + describe(e)));
                    }
                }
            }
            if (channel != null && k.isValid() && k.isWritable()) {
                flush();
            }
            if (channel != null && k.isValid() && k.isReadable()) {
                read(loop.readBuffer);
            }
            pump();
        }

        @Override
        public void failed(Throwable t) {
            LOG.log(Level.ERROR, "guest agent " + socket + ": internal error", t);
            locked(() -> {
                if (lentTo == null) {
                    agentError("internal error: " + t);
                    pump();
                }
            });
        }

        private void flush() {
            if (out == null || channel == null || !channel.isConnected()) {
                return; // nothing to send, or still connecting (OP_CONNECT will flush)
            }
            try {
                channel.write(out);
            } catch (IOException e) {
                agentError("cannot write to the agent: " + describe(e));
                return;
            }
            if (!out.hasRemaining()) {
                out = null;
            }
            updateInterest();
        }

        private void updateInterest() {
            if (key != null && key.isValid() && channel.isConnected()) {
                key.interestOps(lentTo != null ? 0 : SelectionKey.OP_READ | (out != null ? SelectionKey.OP_WRITE : 0));
            }
        }

        private void read(ByteBuffer buf) {
            for (int i = 0; i < MAX_READS_PER_WAKEUP && channel != null; i++) {
                buf.clear();
                int n;
                try {
                    n = channel.read(buf);
                } catch (IOException e) {
                    lost("connection lost: " + describe(e));
                    return;
                }
                if (n < 0) {
                    lost("the agent closed the connection (EOF)");
                    return;
                }
                if (n == 0) {
                    return;
                }
                buf.flip();
                process(buf);
                if (n < buf.capacity()) {
                    return; // a short read drained the socket: spare the syscall that would say EAGAIN
                }
            }
        }

        private void process(ByteBuffer buf) {
            while (channel != null) {
                switch (framer.next(buf)) {
                    case NEED_MORE:
                        return;
                    case STRAY:
                        // a reply nobody waits for (e.g. to a timed-out call): resync before the next command
                        synced = false;
                        break;
                    case OVERFLOW:
                        agentError("reply longer than the " + maxReplyBytes + " byte limit");
                        return;
                    case NO_MEMORY:
                        agentError("reply longer than " + ReplyFramer.SMALL + " bytes while this process's "
                                + lineMemory.limit() / (1024 * 1024) + " MiB for long replies are in use by other "
                                + "agents' replies");
                        return;
                    case LINE:
                        onLine();
                        break;
                    default:
                        throw new AssertionError();
                }
            }
        }

        private void onLine() {
            byte[] line = framer.line();
            int len = framer.length();
            if (phase == Phase.SYNC) {
                Long id = Json.syncId(line, 0, len);
                if (id != null && id == syncId) {
                    synced = true;
                    startCommand();
                } else {
                    framer.seekDelimiter(); // the reply of an older sync, or debris: keep looking
                }
                return;
            }
            Call<?> call = current;
            if (call == null) {
                synced = false;
                framer.ignore();
                return;
            }
            // only a raw guest-sync-delimited (CLI) sees its own 0xFF here
            int off = len > 0 && line[0] == ReplyFramer.DELIMITER && SYNC_DELIMITED.equals(call.name()) ? 1 : 0;
            answer(call, line, off, len);
        }

        /** The current call's reply line, read: its outcome, or an agent error that drops the connection. */
        private <T> void answer(Call<T> call, byte[] line, int off, int len) {
            Json.Reply<T> reply = Json.reply(line, off, len - off, call.command);
            if (reply instanceof Json.Garbage<T> g) {
                agentError((g.why().startsWith("neither") ? "the reply to " + call.name() + " has neither return "
                        + "nor error: " : "garbage instead of a reply to " + call.name() + " (" + g.why() + "): ")
                        + snippet(line, len));
                return;
            }
            lastReply = Instant.now();
            framer.ignore();
            dropCurrent();
            if (reply instanceof Json.Returned<T> r) {
                finish(call, new Success<>(r.value()));
            } else if (reply instanceof Json.Errored<T> e) {
                finish(call, new CommandError<>(call.name(), e.errorClass(), e.description()));
            } else {
                // a well-formed line we cannot interpret: the stream is fine, keep the connection
                finish(call, new AgentError<>(call.name(), "unexpected reply to " + call.name() + ": "
                        + ((Json.Unreadable<T>) reply).why()));
            }
        }

        /** A call that gets no reply (guest-shutdown) took effect. */
        private <T> void succeedWithoutReply(Call<T> call) {
            finish(call, new Success<>(call.command.noReply()));
        }

        /** EOF or a broken connection. guest-shutdown succeeds this way; anything else is an agent error. */
        private void lost(String why) {
            Call<?> call = current;
            if (call != null && phase == Phase.COMMAND && call.command.awaitEvent() != null) {
                dropCurrent();
                closeChannel();
                succeedWithoutReply(call);
            } else if (call != null) {
                agentError(why + " while waiting for the reply to " + call.name());
            } else {
                closeChannel(); // the agent went away between calls: normal, reconnect on the next call
            }
        }

        /** Fails the current call as an agent error and drops the connection. */
        private void agentError(String reason) {
            Call<?> call = current;
            dropCurrent();
            closeChannel();
            if (call != null) {
                fail(call, new AgentError<>(call.name(), reason));
            } else {
                LOG.log(Level.DEBUG, "guest agent {0}: {1}", socket, reason);
            }
        }

        private void dropCurrent() {
            cancelDeadline();
            current = null;
            phase = null;
            pending = null;
        }

        private void closeChannel() {
            if (key != null) {
                key.cancel();
                key = null;
            }
            closeQuietly(channel);
            if (!loop.inLoop()) {
                loop.selector().wakeup(); // the socket is released once the loop drops its cancelled key
            }
            channel = null;
            connected = false;
            synced = false;
            out = null;
            framer.ignore();
        }

        void shutdown() {
            if (lentTo != null) {
                lentTo.run(); // the caller running current finds it completed below
            }
            Call<?> call = current;
            dropCurrent();
            closeChannel();
            if (call != null) {
                fail(call, new NotConnected<>(call.name(), "the agent connection was closed"));
            }
            Call<?> queued;
            while ((queued = queue.poll()) != null) {
                if (queued.queueTimer != null) {
                    queued.queueTimer.cancel();
                }
                fail(queued, new NotConnected<>(queued.name(), "the agent connection was closed"));
            }
        }
    }

    /**
     * A connection attempt that did not connect. {@code backlogFull}: the agent's listen backlog is full, as when
     * it is frozen and accepts nothing; that is not responding, so the call keeps knocking within its sync wait.
     */
    private record Refused(String reason, boolean backlogFull) {
    }

    /**
     * Whether a failed non-blocking AF_UNIX connect said EAGAIN, Linux's answer when the listen backlog is full.
     * The JDK reports errno only as strerror's text in the exception's message, so that is all there is to go by;
     * this is the one place that reads it.
     */
    private static boolean isEagain(Exception e) {
        return e instanceof IOException && String.valueOf(e.getMessage()).contains("temporarily unavailable");
    }

    private static void closeQuietly(SocketChannel ch) {
        if (ch != null) {
            try {
                if (ch.isConnected()) {
                    // a CallerRuns selector may hold the channel (and so the socket) open until its next select;
                    // shutting down first makes the agent see EOF now and accept the next connection
                    ch.shutdownOutput();
                    ch.shutdownInput();
                }
            } catch (IOException | RuntimeException ignored) {
                // closing below is what matters
            }
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing a socket we are abandoning: nothing to report
            }
        }
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    private static String snippet(byte[] line, int len) {
        int n = Math.min(len, 80);
        String s = new String(line, 0, n, StandardCharsets.UTF_8).replaceAll("\\p{Cntrl}", "?");
        return "'" + s + (len > n ? "…' (" + len + " bytes)" : "'");
    }

    /**
     * The call an agent is busy with: its command, the phase it waits in (SYNC or COMMAND) and since when it has
     * been the agent's current call, and whether its command waits forever (Block). With a Block timeout this is the
     * one thing left to observe while it waits.
     */
    public record PendingCall(String command, Phase phase, Instant since, boolean blocking) {
    }
}
