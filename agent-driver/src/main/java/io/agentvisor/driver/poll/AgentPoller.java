package io.agentvisor.driver.poll;

import io.agentvisor.api.v1alpha1.PollGroup;
import io.agentvisor.agent.AgentCommand;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.agent.AgentOutcome;
import io.agentvisor.agent.GuestAgent;
import io.agentvisor.agent.GuestAgentInfo;
import io.agentvisor.agent.GuestCommands;
import io.agentvisor.agent.PendingCall;
import io.agentvisor.agent.ResponseTimeout;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
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
            if (connected != view.connected()) {
                set(v -> new AgentView(connected, v.responsive(), v.consecutiveTimeouts(), v.errorReason(),
                        v.errorMessage(), v.errorTime(), v.lastContact(), v.frozen(), v.version(), v.supportedCommands(),
                        v.osInfo(), v.hostname(), v.timezone(), v.users(), v.filesystems(), v.interfaces(), v.pending()));
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
                AgentView v = view;
                publish(new AgentView(v.connected(), responsiveAfterTimeouts(v), v.consecutiveTimeouts(),
                        v.errorReason(), v.errorMessage(), v.errorTime(), v.lastContact(), v.frozen(), v.version(),
                        v.supportedCommands(), v.osInfo(), v.hostname(), v.timezone(), v.users(), v.filesystems(),
                        v.interfaces(), v.pending()));
            }
            reschedule();
        });
    }

    /** Responsiveness under a changed unresponsiveAfter: only a run of timeouts after a contact is re-judged. */
    private boolean responsiveAfterTimeouts(AgentView v) {
        if (!ConditionTypes.REASON_TIMEOUT.equals(v.errorReason())) {
            return v.responsive();
        }
        return v.lastContact() != null && v.consecutiveTimeouts() < settings.unresponsiveAfter();
    }

    public AgentSettings settings() {
        return settings;
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
        List<Step> steps = new ArrayList<>();
        if (schedule.probing()) {
            if (schedule.probeDue(now)) {
                steps.add(probeStep());
            }
        } else {
            List<PollGroup> due = schedule.due(now);
            if (!due.isEmpty()) {
                if (!fsfreezeUnsupported && !settings.blocked(FSFREEZE_STATUS)) {
                    steps.add(new Step(null, GuestCommands.fsfreezeStatus(), this::onFreezeStatus));
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
    private Step probeStep() {
        if (!view.frozen() && !settings.blocked(GuestCommands.USERS)) {
            return usersStep();
        }
        return new Step(null, GuestCommands.ping(), o -> { });
    }

    private Step usersStep() {
        return new Step(PollGroup.USERS, GuestCommands.users(), o -> set(v -> withUsers(v, o.value())));
    }

    private List<Step> groupSteps(PollGroup g) {
        List<Step> s = new ArrayList<>();
        switch (g) {
            case USERS -> s.add(usersStep());
            case OS_INFO -> {
                s.add(new Step(g, GuestCommands.osInfo(), o -> set(v -> copy(v, m -> m.put("osInfo", o.value())))));
                s.add(new Step(g, GuestCommands.hostName(), o -> set(v -> copy(v, m -> m.put("hostname", o.value())))));
                s.add(new Step(g, GuestCommands.timezone(), o -> set(v -> copy(v, m -> m.put("timezone", o.value())))));
            }
            case INTERFACES -> s.add(new Step(g, GuestCommands.networkInterfaces(),
                    o -> set(v -> copy(v, m -> m.put("interfaces", o.value())))));
            case FILESYSTEMS -> s.add(new Step(g, GuestCommands.fsInfo(),
                    o -> set(v -> copy(v, m -> m.put("filesystems", o.value())))));
            case AGENT_INFO -> s.add(new Step(g, GuestCommands.info(), o -> {
                GuestAgentInfo info = (GuestAgentInfo) o.value();
                fsfreezeUnsupported = !info.supports(FSFREEZE_STATUS);
                set(v -> copy(v, m -> {
                    m.put("version", info.version());
                    m.put("supportedCommands", info.supportedCommands().stream().filter(GuestAgentInfo.SupportedCommand::enabled)
                            .map(GuestAgentInfo.SupportedCommand::name).sorted().toList());
                }));
            }));
        }
        // never send a blocked command; the group still counts as done so it is not retried in a loop
        s.removeIf(step -> settings.blocked(step.command.name()));
        if (s.isEmpty()) {
            schedule.groupDone(g, clock.instant());
        }
        return s;
    }

    private record Step(PollGroup group, AgentCommand<?> command, Consumer<AgentOutcome<?>> onSuccess) {
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void run(List<Step> steps, int i) {
        if (closed) {
            return;
        }
        if (i >= steps.size()) {
            roundInFlight = false;
            reschedule();
            return;
        }
        Step step = steps.get(i);
        // while a freeze is in progress, only the commands qemu-ga allows during a freeze are sent
        if (view.frozen() && !FREEZE_SAFE.contains(step.command.name())) {
            run(steps, i + 1);
            return;
        }
        long t0 = System.nanoTime();
        CompletableFuture<? extends AgentOutcome<?>> call = agent.call((AgentCommand) step.command);
        armWatch();
        call.whenCompleteAsync((outcome, err) -> {
            cancelWatch();
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            AgentOutcome<?> o = outcome != null ? outcome
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
                if (stuck && v.responsive()) {
                    LOG.warnf("%s: %s has waited %d s for the guest agent with a Block timeout: Unresponsive", vm,
                            p.command(), waited.toSeconds());
                }
                boolean responsive = v.responsive() && !stuck;
                boolean newlyStuck = stuck && !ConditionTypes.REASON_CALL_PENDING.equals(v.errorReason());
                return new AgentView(v.connected(), responsive, v.consecutiveTimeouts(),
                        newlyStuck ? ConditionTypes.REASON_CALL_PENDING : v.errorReason(),
                        newlyStuck ? "guest agent is not responding: " + p.command() + " has been waiting for its "
                                + "reply since " + p.since() + " (Block: no deadline)" : v.errorMessage(),
                        newlyStuck ? now : v.errorTime(), v.lastContact(), v.frozen(), v.version(),
                        v.supportedCommands(), v.osInfo(), v.hostname(), v.timezone(), v.users(), v.filesystems(),
                        v.interfaces(), p);
            });
        }
        watch = scheduler.schedule(this::watchPending, ResponseTimeout.DEFAULT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Records one outcome; returns whether the round may continue. */
    private boolean handle(Step step, AgentOutcome<?> o, Duration took) {
        Instant now = clock.instant();
        String name = step.command.name();
        boolean wasConnected = view.connected();
        if (o instanceof AgentOutcome.Success<?> || o instanceof AgentOutcome.CommandError<?>) {
            metrics.call(vm, name, o.isSuccess() ? "success" : "command_error", took);
            if (!wasConnected && view.lastContact() != null) {
                metrics.reconnected(vm);
            }
            boolean recovered = !view.responsive();
            schedule.answered();
            set(v -> new AgentView(true, true, 0, null, null, null, now, v.frozen(), v.version(),
                    v.supportedCommands(), v.osInfo(), v.hostname(), v.timezone(), v.users(), v.filesystems(),
                    v.interfaces(), null));
            if (recovered) {
                LOG.infof("%s: guest agent is responsive (%s answered: %s)", vm, name, o.message());
            }
            if (o instanceof AgentOutcome.Success<?>) {
                step.onSuccess.accept(o);
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
                int n = v.consecutiveTimeouts() + 1;
                boolean responsive = v.responsive() && n < settings.unresponsiveAfter();
                if (v.responsive() && !responsive) {
                    LOG.warnf("%s: %s (%d timeouts in a row)", vm, o.message(), n);
                }
                return new AgentView(agent.isConnected(), responsive, n, ConditionTypes.REASON_TIMEOUT, o.message(),
                        errorTime(v, ConditionTypes.REASON_TIMEOUT, now), v.lastContact(), v.frozen(), v.version(),
                        v.supportedCommands(), v.osInfo(), v.hostname(), v.timezone(), v.users(), v.filesystems(),
                        v.interfaces(), null);
            });
        } else {
            String reason = o instanceof AgentOutcome.AgentError<?> ? ConditionTypes.REASON_AGENT_ERROR
                    : ConditionTypes.REASON_NOT_CONNECTED;
            metrics.call(vm, name, o instanceof AgentOutcome.AgentError<?> ? "agent_error" : "not_connected", took);
            set(v -> {
                if (v.responsive() || !reason.equals(v.errorReason())) {
                    LOG.warnf("%s: %s", vm, o.message());
                }
                return new AgentView(agent.isConnected(), false, 0, reason, o.message(), errorTime(v, reason, now),
                        v.lastContact(), v.frozen(), v.version(), v.supportedCommands(), v.osInfo(), v.hostname(),
                        v.timezone(), v.users(), v.filesystems(), v.interfaces(), null);
            });
        }
        schedule.roundFailed(now, now.minus(took));
        return false;
    }

    /** The time of an error stays that of its first occurrence while the same kind of error repeats. */
    private static Instant errorTime(AgentView v, String reason, Instant now) {
        return reason.equals(v.errorReason()) && v.errorTime() != null ? v.errorTime() : now;
    }

    private boolean isLastOfGroup(Step step) {
        List<String> cmds = step.group.commands;
        return step.command.name().equals(cmds.get(cmds.size() - 1)) || step.group == PollGroup.USERS;
    }

    private void onFreezeStatus(AgentOutcome<?> o) {
        boolean frozen = "frozen".equals(o.value());
        if (frozen != view.frozen()) {
            LOG.infof("%s: guest filesystems %s", vm, frozen ? "frozen: only freeze-safe commands are sent" : "thawed");
            set(v -> copy(v, m -> m.put("frozen", frozen)));
        }
    }

    private static AgentView withUsers(AgentView v, Object users) {
        return copy(v, m -> m.put("users", users));
    }

    /** Copies a view replacing named guest fields (keeps the record constructor in one place). */
    @SuppressWarnings("unchecked")
    private static AgentView copy(AgentView v, Consumer<Map<String, Object>> change) {
        Map<String, Object> m = new HashMap<>();
        change.accept(m);
        return new AgentView(v.connected(), v.responsive(), v.consecutiveTimeouts(), v.errorReason(), v.errorMessage(),
                v.errorTime(), v.lastContact(), (Boolean) m.getOrDefault("frozen", v.frozen()),
                (String) m.getOrDefault("version", v.version()),
                (List<String>) m.getOrDefault("supportedCommands", v.supportedCommands()),
                (io.agentvisor.agent.GuestOsInfo) m.getOrDefault("osInfo", v.osInfo()),
                (String) m.getOrDefault("hostname", v.hostname()),
                (io.agentvisor.agent.GuestTimezone) m.getOrDefault("timezone", v.timezone()),
                (List<io.agentvisor.agent.GuestUser>) m.getOrDefault("users", v.users()),
                (List<io.agentvisor.agent.GuestFilesystem>) m.getOrDefault("filesystems", v.filesystems()),
                (List<io.agentvisor.agent.GuestNetworkInterface>) m.getOrDefault("interfaces", v.interfaces()),
                (PendingCall) m.getOrDefault("pending", v.pending()));
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
