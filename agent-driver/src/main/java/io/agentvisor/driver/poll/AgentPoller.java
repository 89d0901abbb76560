package io.agentvisor.driver.poll;

import io.agentvisor.agent.AgentCommand;
import io.agentvisor.agent.AgentOutcome;
import io.agentvisor.agent.GuestAgent;
import io.agentvisor.agent.GuestAgent.PendingCall;
import io.agentvisor.agent.GuestAgentInfo;
import io.agentvisor.agent.GuestCommands;
import io.agentvisor.agent.ResponseTimeout;
import io.agentvisor.api.v1alpha1.PollGroup;
import io.agentvisor.driver.poll.AgentLink.AgentFailure;
import io.agentvisor.driver.poll.AgentView.GuestFacts;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Polls one VM's guest agent into an {@link AgentView} snapshot. All state lives on the shared scheduler thread;
 * agent calls are asynchronous (the NIO client never parks a thread on a silent agent), so a frozen agent delays
 * nothing but its own next round. At most one round per VM is in flight.
 */
public final class AgentPoller implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AgentPoller.class);
    static final String FSFREEZE_STATUS = GuestCommands.FSFREEZE_STATUS;
    /** What qemu-ga still executes while filesystems are frozen (its own allow-list, minus thaw). */
    static final Set<String> FREEZE_SAFE = Set.of(GuestCommands.PING, GuestCommands.INFO, FSFREEZE_STATUS,
            "guest-sync", "guest-sync-delimited", "guest-fsfreeze-thaw");

    private final String vm;
    private final GuestAgent agent;
    private final ScheduledExecutorService scheduler;
    private final Clock clock;
    private final AgentMetrics metrics;
    private final Consumer<AgentView> onChange;
    private AgentSettings settings;
    private final PollSchedule schedule;
    private volatile AgentView view = AgentView.INITIAL;
    private boolean roundInFlight;
    private boolean fsfreezeUnsupported;
    private ScheduledFuture<?> tick;
    private ScheduledFuture<?> watch;
    private volatile boolean closed;

    public AgentPoller(String vm, GuestAgent agent, AgentSettings settings, ScheduledExecutorService scheduler,
            Clock clock, AgentMetrics metrics, Consumer<AgentView> onChange) {
        this.vm = vm;
        this.agent = agent;
        this.scheduler = scheduler;
        this.clock = clock;
        this.metrics = metrics;
        this.onChange = onChange;
        this.settings = settings;
        this.schedule = new PollSchedule(settings.intervals(), settings.unresponsiveAfter(), clock.instant());
        applyToAgent(settings);
    }

    public void start() {
        scheduler.execute(this::runDue);
    }

    /** The cache: the latest snapshot. Never blocks, never talks to the agent. */
    public AgentView view() {
        return view;
    }

    public GuestAgent agent() {
        return agent;
    }

    /**
     * QEMU's view of the guest changed (its end of the agent channel opened or closed, the VM paused or resumed):
     * the view follows at once, and a guest that just opened its end is probed now rather than after back-off.
     */
    public void guestChannelChanged() {
        scheduler.execute(() -> {
            if (closed) {
                return;
            }
            boolean connected = agent.isConnected();
            if (connected != view.link().connected()) {
                set(v -> v.with(v.link().withConnected(connected)));
            }
            if (connected) {
                schedule.probeNow(clock.instant());
                reschedule();
            }
        });
    }

    /** Applies new settings to the live connection (the next call uses them) and to the schedule. */
    public void apply(AgentSettings s) {
        scheduler.execute(() -> {
            if (s.equals(settings)) {
                return;
            }
            applyToAgent(s);
            schedule.setIntervals(s.intervals(), s.unresponsiveAfter());
            AgentSettings old = settings;
            settings = s;
            if (old.unresponsiveAfter() != s.unresponsiveAfter()) {
                set(v -> v.with(v.link().withResponsive(responsiveAfterTimeouts(v.link()))));
            }
            reschedule();
        });
    }

    /** Responsiveness under a changed unresponsiveAfter: only a run of timeouts after a contact is re-judged. */
    private boolean responsiveAfterTimeouts(AgentLink l) {
        if (!l.isFailure(AgentFailure.Kind.Timeout)) {
            return l.responsive();
        }
        return l.lastContact() != null && l.consecutiveTimeouts() < settings.unresponsiveAfter();
    }

    private void applyToAgent(AgentSettings s) {
        agent.setResponseTimeout(new ResponseTimeout(s.responseTimeout()));
        for (String c : agent.commandTimeouts().keySet()) {
            if (!s.commandTimeouts().containsKey(c)) {
                agent.setCommandTimeout(c, null);
            }
        }
        s.commandTimeouts().forEach((c, t) -> agent.setCommandTimeout(c, new ResponseTimeout(t)));
        agent.setBlockedCommands(s.blockedCommands());
    }

    private void reschedule() {
        if (closed || roundInFlight) {
            return;
        }
        if (tick != null) {
            tick.cancel(false);
        }
        long delay = Math.max(0, Duration.between(clock.instant(), schedule.nextWake()).toMillis());
        tick = scheduler.schedule(this::runDue, delay, TimeUnit.MILLISECONDS);
    }

    private void runDue() {
        if (closed || roundInFlight) {
            return;
        }
        Instant now = clock.instant();
        List<Step<?>> steps = new ArrayList<>();
        if (schedule.probing()) {
            if (schedule.probeDue(now)) {
                steps.add(probeStep());
            }
        } else {
            List<PollGroup> due = schedule.due(now);
            if (!due.isEmpty()) {
                if (!fsfreezeUnsupported && !settings.blocked(FSFREEZE_STATUS)) {
                    steps.add(new Step<>(null, GuestCommands.fsfreezeStatus(), this::onFreezeStatus));
                }
                for (PollGroup g : due) {
                    steps.addAll(groupSteps(g));
                }
            }
        }
        if (steps.isEmpty()) {
            reschedule();
            return;
        }
        roundInFlight = true;
        run(steps, 0);
    }

    /** One command per probe: users (the 10 s group) if allowed, else ping; only ping while frozen. */
    private Step<?> probeStep() {
        if (!view.guest().frozen() && !settings.blocked(GuestCommands.USERS)) {
            return usersStep();
        }
        return new Step<>(null, GuestCommands.ping(), (g, pong) -> g);
    }

    private Step<?> usersStep() {
        return new Step<>(PollGroup.USERS, GuestCommands.users(), (g, users) -> g.withUsers(users));
    }

    private List<Step<?>> groupSteps(PollGroup g) {
        List<Step<?>> s = new ArrayList<>();
        switch (g) {
            case USERS -> s.add(usersStep());
            case OS_INFO -> {
                s.add(new Step<>(g, GuestCommands.osInfo(), GuestFacts::withOsInfo));
                s.add(new Step<>(g, GuestCommands.hostName(), GuestFacts::withHostname));
                s.add(new Step<>(g, GuestCommands.timezone(), GuestFacts::withTimezone));
            }
            case INTERFACES -> s.add(new Step<>(g, GuestCommands.networkInterfaces(), GuestFacts::withInterfaces));
            case FILESYSTEMS -> s.add(new Step<>(g, GuestCommands.fsInfo(), GuestFacts::withFilesystems));
            case AGENT_INFO -> s.add(new Step<>(g, GuestCommands.info(), (facts, info) -> {
                fsfreezeUnsupported = !info.supports(FSFREEZE_STATUS);
                return facts.withAgentInfo(info.version(), info.supportedCommands().stream()
                        .filter(GuestAgentInfo.SupportedCommand::enabled).map(GuestAgentInfo.SupportedCommand::name)
                        .sorted().toList());
            }));
        }
        // never send a blocked command; the group still counts as done so it is not retried in a loop
        s.removeIf(step -> settings.blocked(step.command.name()));
        if (s.isEmpty()) {
            schedule.groupDone(g, clock.instant());
        }
        return s;
    }

    /** One command of a round; its result goes into the guest facts through {@code onSuccess}. */
    private record Step<T>(PollGroup group, AgentCommand<T> command, BiFunction<GuestFacts, T, GuestFacts> onSuccess) {
    }

    private void run(List<Step<?>> steps, int i) {
        if (closed) {
            return;
        }
        if (i >= steps.size()) {
            roundInFlight = false;
            reschedule();
            return;
        }
        Step<?> step = steps.get(i);
        // while a freeze is in progress, only the commands qemu-ga allows during a freeze are sent
        if (view.guest().frozen() && !FREEZE_SAFE.contains(step.command.name())) {
            run(steps, i + 1);
            return;
        }
        call(step, steps, i);
    }

    private <T> void call(Step<T> step, List<Step<?>> steps, int i) {
        long t0 = System.nanoTime();
        CompletableFuture<AgentOutcome<T>> call = agent.call(step.command);
        armWatch();
        call.whenCompleteAsync((outcome, err) -> {
            cancelWatch();
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            AgentOutcome<T> o = outcome != null ? outcome
                    : new AgentOutcome.AgentError<>(step.command.name(), String.valueOf(err));
            boolean goOn = handle(step, o, took);
            if (goOn) {
                run(steps, i + 1);
            } else {
                roundInFlight = false;
                reschedule();
            }
        }, scheduler);
    }

    // ---- a call that waits long: what can still be observed (the agent is busy with it; nothing else goes out) ----

    private void armWatch() {
        cancelWatch();
        watch = scheduler.schedule(this::watchPending, ResponseTimeout.DEFAULT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void cancelWatch() {
        if (watch != null) {
            watch.cancel(false);
            watch = null;
        }
    }

    /**
     * Runs every Default wait (5 s) while a call of this poller is outstanding. The agent's current call (this
     * poller's or any other caller's, e.g. an agent operation) shows in the view once it has waited 5 s. A call
     * that waits forever (Block) and has waited unresponsiveAfter × 5 s without an answer makes the agent
     * Unresponsive (reason CallPending): that is how long unresponsiveAfter bounded Default calls would have taken
     * to say so. The answer, when it comes, makes it Responsive again.
     */
    private void watchPending() {
        if (closed || !roundInFlight) {
            return;
        }
        Instant now = clock.instant();
        PendingCall p = agent.pending().orElse(null);
        Duration waited = p == null ? Duration.ZERO : Duration.between(p.since(), now);
        if (p != null && waited.compareTo(ResponseTimeout.DEFAULT_WAIT) >= 0) {
            boolean stuck = p.blocking() && waited.compareTo(ResponseTimeout.DEFAULT_WAIT.multipliedBy(
                    settings.unresponsiveAfter())) >= 0;
            set(v -> {
                if (stuck && v.link().responsive()) {
                    LOG.warnf("%s: %s has waited %d s for the guest agent with a Block timeout: Unresponsive", vm,
                            p.command(), waited.toSeconds());
                }
                return v.with(v.link().busyWith(p, stuck, now));
            });
        }
        watch = scheduler.schedule(this::watchPending, ResponseTimeout.DEFAULT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Records one outcome; returns whether the round may continue. */
    private <T> boolean handle(Step<T> step, AgentOutcome<T> o, Duration took) {
        Instant now = clock.instant();
        String name = step.command.name();
        boolean wasConnected = view.link().connected();
        if (o instanceof AgentOutcome.Success<T> || o instanceof AgentOutcome.CommandError<?>) {
            metrics.call(vm, name, o.isSuccess() ? "success" : "command_error", took);
            if (!wasConnected && view.link().lastContact() != null) {
                metrics.reconnected(vm);
            }
            boolean recovered = !view.link().responsive();
            schedule.answered();
            set(v -> v.with(v.link().answered(now)));
            if (recovered) {
                LOG.infof("%s: guest agent is responsive (%s answered: %s)", vm, name, o.message());
            }
            if (o instanceof AgentOutcome.Success<T> success) {
                set(v -> v.withGuest(g -> step.onSuccess.apply(g, success.result())));
            } else if (name.equals(FSFREEZE_STATUS) && ((AgentOutcome.CommandError<?>) o).isNotFound()) {
                fsfreezeUnsupported = true;
            }
            if (step.group != null && isLastOfGroup(step)) {
                schedule.groupDone(step.group, now);
            }
            return true;
        }
        if (o instanceof AgentOutcome.NotResponding<?>) {
            metrics.call(vm, name, "timeout", took);
            set(v -> {
                AgentLink next = v.link().timedOut(agent.isConnected(), settings.unresponsiveAfter(), o.message(), now);
                if (v.link().responsive() && !next.responsive()) {
                    LOG.warnf("%s: %s (%d timeouts in a row)", vm, o.message(), next.consecutiveTimeouts());
                }
                return v.with(next);
            });
        } else {
            AgentFailure.Kind kind = o instanceof AgentOutcome.AgentError<?> ? AgentFailure.Kind.AgentError
                    : AgentFailure.Kind.NotConnected;
            metrics.call(vm, name, o instanceof AgentOutcome.AgentError<?> ? "agent_error" : "not_connected", took);
            set(v -> {
                if (v.link().responsive() || !v.link().isFailure(kind)) {
                    LOG.warnf("%s: %s", vm, o.message());
                }
                return v.with(v.link().failed(agent.isConnected(), kind, o.message(), now));
            });
        }
        schedule.roundFailed(now, now.minus(took));
        return false;
    }

    private boolean isLastOfGroup(Step<?> step) {
        List<String> cmds = step.group.commands;
        return step.command.name().equals(cmds.get(cmds.size() - 1)) || step.group == PollGroup.USERS;
    }

    private GuestFacts onFreezeStatus(GuestFacts g, String status) {
        boolean frozen = "frozen".equals(status);
        if (frozen != g.frozen()) {
            LOG.infof("%s: guest filesystems %s", vm, frozen ? "frozen: only freeze-safe commands are sent" : "thawed");
        }
        return g.withFrozen(frozen);
    }

    private void set(Function<AgentView, AgentView> f) {
        publish(f.apply(view));
    }

    private void publish(AgentView next) {
        AgentView prev = view;
        view = next;
        if (!next.equals(prev)) {
            try {
                onChange.accept(next);
            } catch (RuntimeException e) {
                LOG.errorf(e, "%s: status listener failed", vm);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        scheduler.execute(() -> {
            if (tick != null) {
                tick.cancel(false);
            }
            cancelWatch();
        });
        agent.close();
    }
}
