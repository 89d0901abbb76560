package io.agentvisor.driver.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentvisor.agent.ShutdownMode;
import io.agentvisor.api.v1alpha1.Agentvisor;
import io.agentvisor.api.v1alpha1.Phase;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.agentvisor.driver.lifecycle.ExitReason;
import io.agentvisor.driver.lifecycle.History;
import io.agentvisor.driver.lifecycle.Lifecycle;
import io.agentvisor.driver.lifecycle.StopPlan;
import io.agentvisor.driver.lifecycle.Strategy;
import io.agentvisor.driver.poll.AgentPoller;
import io.agentvisor.driver.poll.AgentSettings;
import io.agentvisor.driver.poll.AgentView;
import io.agentvisor.driver.qemu.QemuRecord;
import io.agentvisor.driver.qemu.VmPaths;
import io.agentvisor.driver.qemu.VmSpec;
import io.agentvisor.qmp.QmpClient;
import io.agentvisor.qmp.QmpEvent;
import io.agentvisor.qmp.QmpException;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * One VM on this node: its QEMU, QMP connection, agent poller and lifecycle, driven as an actor (every method
 * runs on the VM's own serial executor, so no locks, and a slow QEMU start or a frozen QEMU only ever holds up
 * this VM). It reads the agent only through the poller's cache.
 */
final class VmRuntime {
    private static final Logger LOG = Logger.getLogger(VmRuntime.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How often a running or stopping VM's process is re-checked in /proc (QMP EOF is the fast path). */
    private static final Duration WATCH = Duration.ofSeconds(5);
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(5);
    static final String REQUESTED_STATE = "agentvisor.io/requested-state";

    private final NodeDriver node;
    final String uid;
    final VmPaths paths;
    private final Executor actor;
    private final Clock clock = Clock.systemUTC();

    private VirtualMachine vm;
    private boolean gone;
    private QemuRecord record;
    private QmpClient qmp;
    private AgentPoller poller;
    private AgentView lastView = AgentView.INITIAL;
    private AgentSettings settings;
    private History history;
    private boolean guestShutdownSeen;
    private boolean paused;
    private Stop stop;
    private Phase phase = Phase.Scheduled;
    private String runningReason = "Scheduled";
    private String message = "placed on node";
    private String lastEventKey;
    private JsonNode lastSent;
    private ScheduledFuture<?> wake;
    private boolean forgotten;
    /** Set when the driver exits with stop-vms-on-exit: stop QEMU gracefully, keep state, complete when gone. */
    private java.util.concurrent.CompletableFuture<Void> exitStop;

    private static final class Stop {
        final Instant started;
        boolean agentTried;
        boolean acpiTried;
        boolean quitTried;

        Stop(Instant started) {
            this.started = started;
        }
    }

    VmRuntime(NodeDriver node, String uid, Executor actor) {
        this.node = node;
        this.uid = uid;
        this.paths = VmPaths.of(node.config().stateDir(), node.config().runDir(), uid);
        this.actor = actor;
        this.settings = AgentSettings.read(paths.agentSettings()).orElse(AgentSettings.DEFAULTS);
        this.history = readHistory();
    }

    String key() {
        return vm == null ? uid : vm.getMetadata().getNamespace() + "/" + vm.getMetadata().getName();
    }

    boolean running() {
        return record != null;
    }

    // ---- entry points (any thread) ----

    /** At driver start, before the API is reachable: adopt a still-running QEMU with its persisted agent settings. */
    void adopt() {
        actor.execute(() -> {
            try {
                record = node.launcher().adopt(paths, uid).orElse(null);
            } catch (IOException e) {
                LOG.errorf("%s: cannot read the QEMU record: %s", uid, e.getMessage());
            }
            if (record != null) {
                LOG.infof("%s: adopted running QEMU pid %d", record.namespace() == null ? uid
                        : record.namespace() + "/" + record.name(), record.pid());
                phase = Phase.Running;
                runningReason = "Running";
                message = "QEMU pid " + record.pid() + " (adopted)";
                ensureConnected();
            }
            scheduleWake(WATCH);
        });
    }

    void update(VirtualMachine latest) {
        actor.execute(() -> {
            if (forgotten) {
                return;
            }
            vm = latest;
            AgentSettings s = Specs.agentSettings(latest, settings);
            if (!s.equals(settings)) {
                applySettings(s);
            }
            if (latest.getMetadata().getDeletionTimestamp() == null) {
                try {
                    node.kube().addFinalizer(latest);
                } catch (KubernetesClientException e) {
                    LOG.debugf("%s: finalizer not added yet: %s", key(), e.getMessage());
                }
            }
            reconcile();
        });
    }

    /** The informer lost the object: deleted, or relabelled to another node. Either way QEMU must stop here. */
    void lost() {
        actor.execute(() -> {
            if (vm == null) {
                gone = true;
            } else {
                VirtualMachine now = null;
                try {
                    now = node.kube().get(vm.getMetadata().getNamespace(), vm.getMetadata().getName());
                } catch (KubernetesClientException e) {
                    LOG.warnf("%s: cannot re-read the VM: %s", key(), e.getMessage());
                }
                if (now == null || !uid.equals(now.getMetadata().getUid())) {
                    gone = true;
                } else {
                    vm = now;
                }
            }
            gone = gone || vm == null;
            movedAway = true;
            reconcile();
        });
    }

    private boolean movedAway;

    /**
     * The driver is exiting and was told to take its VMs down with it (a local `make run`, or a pod whose QEMUs
     * die with it): graceful stop as for a Halted VM, but the VM's state and finalizer stay, so the next driver
     * starts it again as its runStrategy says. Completes once QEMU is gone.
     */
    java.util.concurrent.CompletableFuture<Void> stopForDriverExit() {
        var done = new java.util.concurrent.CompletableFuture<Void>();
        actor.execute(() -> {
            exitStop = done;
            reconcile();
        });
        return done;
    }

    // ---- the reconcile ----

    private void reconcile() {
        if (forgotten) {
            return;
        }
        try {
            reconcileOnce();
        } catch (RuntimeException e) {
            LOG.errorf(e, "%s: reconcile failed", key());
            scheduleWake(WATCH);
        }
    }

    private void reconcileOnce() {
        checkExit();
        Instant now = clock.instant();
        if (exitStop != null) {
            if (running()) {
                stepStop(now, "the driver is shutting down (stop-vms-on-exit)");
            } else {
                publish();
                exitStop.complete(null);
            }
            return;
        }
        if (vm == null && !gone) {
            // adopted before the API told us about the VM: keep it as it is
            scheduleWake(WATCH);
            return;
        }
        if (gone || movedAway || vm.getMetadata().getDeletionTimestamp() != null) {
            if (running()) {
                stepStop(now, "the VM is being deleted");
            } else {
                finish();
            }
            return;
        }
        Strategy strategy = Strategy.valueOf(vm.getSpec().getRunStrategy() == null ? "Always"
                : vm.getSpec().getRunStrategy().name());
        Lifecycle.Decision d = Lifecycle.decide(strategy, running(), history, manualRequest(), now.toEpochMilli(),
                node.config().backoff());
        switch (d.action()) {
            case KEEP_RUNNING -> {
                stop = null;
                ensureConnected();
                phase = Phase.Running;
                runningReason = paused ? "Paused" : "Running";
                message = "QEMU pid " + record.pid() + (paused ? " (paused)" : "");
                scheduleWake(WATCH);
            }
            case START -> launch(now);
            case WAIT -> {
                phase = Phase.Starting;
                runningReason = "CrashLoopBackOff";
                message = d.reason() + ": next start in " + Math.max(1, d.waitFor().toSeconds()) + " s";
                scheduleWake(d.waitFor());
            }
            case STOP -> stepStop(now, d.reason());
            case STAY_STOPPED -> {
                if (phase != Phase.Failed || !"InvalidSpec".equals(runningReason)) {
                    phase = Phase.Stopped;
                    runningReason = "Stopped";
                    message = d.reason();
                }
            }
        }
        publish();
    }

    private Lifecycle.Request manualRequest() {
        var a = vm.getMetadata().getAnnotations();
        String r = a == null ? null : a.get(REQUESTED_STATE);
        return "Running".equalsIgnoreCase(r) ? Lifecycle.Request.RUN
                : "Stopped".equalsIgnoreCase(r) ? Lifecycle.Request.STOP : Lifecycle.Request.NONE;
    }

    private void launch(Instant now) {
        VmSpec spec;
        try {
            spec = Specs.vmSpec(vm, node.config().imageDirs());
        } catch (IllegalArgumentException e) {
            phase = Phase.Failed;
            runningReason = "InvalidSpec";
            if (!Objects.equals(message, e.getMessage())) {
                event("Warning", "InvalidSpec", e.getMessage());
            }
            message = e.getMessage();
            publish();
            return;
        }
        phase = Phase.Starting;
        runningReason = "Starting";
        message = "starting QEMU";
        publish();
        try {
            paths.create();
            settings.write(paths.agentSettings());
            record = node.launcher().launch(spec, paths, node.accelerator());
            history = history.started();
            writeHistory();
            guestShutdownSeen = false;
            paused = false;
            phase = Phase.Running;
            runningReason = "Running";
            message = "QEMU pid " + record.pid();
            event("Normal", "Started", "QEMU started (pid " + record.pid() + ", " + record.accelerator() + ")");
            ensureConnected();
            scheduleWake(WATCH);
        } catch (IOException | RuntimeException e) {
            history = history.started().exited(ExitReason.FAILED, now.toEpochMilli(), 0, node.config().backoff());
            writeHistory();
            phase = Phase.Failed;
            runningReason = "LaunchFailed";
            message = e.getMessage();
            event("Warning", "LaunchFailed", e.getMessage());
            scheduleWake(node.config().backoff().delay(history.consecutiveExits()).plusSeconds(1));
        }
        publish();
    }

    /** Notices that QEMU is gone (QMP EOF, or the /proc check) and records why. */
    private void checkExit() {
        if (record == null || node.launcher().isRunning(record)) {
            return;
        }
        Instant now = clock.instant();
        ExitReason why = stop != null ? ExitReason.STOPPED : guestShutdownSeen ? ExitReason.GUEST_SHUTDOWN
                : ExitReason.FAILED;
        history = history.exited(why, now.toEpochMilli(), now.toEpochMilli() - record.launchedAtEpochMs(),
                node.config().backoff());
        writeHistory();
        switch (why) {
            case STOPPED -> event("Normal", "Stopped", "QEMU (pid " + record.pid() + ") stopped");
            case GUEST_SHUTDOWN -> event("Normal", "GuestShutdown", "the guest powered off (QEMU pid " + record.pid()
                    + " exited)");
            case FAILED -> event("Warning", "Crashed", "QEMU (pid " + record.pid()
                    + ") ended without a guest shutdown (killed or crashed)");
        }
        LOG.infof("%s: QEMU pid %d exited (%s)", key(), record.pid(), why);
        closeConnections();
        try {
            Files.deleteIfExists(paths.record());
        } catch (IOException ignored) {
            // a stale record is never adopted: its start time no longer matches
        }
        record = null;
        stop = null;
        paused = false;
        phase = Phase.Stopped;
        runningReason = "Stopped";
        message = "QEMU exited";
        node.runningChanged();
    }

    private void stepStop(Instant now, String why) {
        if (stop == null) {
            stop = new Stop(now);
            event("Normal", "Stopping", "stopping QEMU: " + why);
        }
        phase = Phase.Stopping;
        runningReason = "Stopping";
        message = why;
        Duration elapsed = Duration.between(stop.started, now);
        boolean agentUsable = poller != null && poller.view().responsive() && settings.enabled()
                && !settings.blocked("guest-shutdown");
        StopPlan.Step step = StopPlan.next(elapsed, node.config().stopGrace(), agentUsable, stop.agentTried,
                stop.acpiTried, stop.quitTried);
        switch (step) {
            case AGENT_SHUTDOWN -> {
                stop.agentTried = true;
                poller.agent().shutdown(ShutdownMode.POWERDOWN);
            }
            case ACPI_POWERDOWN -> {
                stop.acpiTried = true;
                qmpCall(c -> c.systemPowerdown(QMP_TIMEOUT), "system_powerdown");
            }
            case QMP_QUIT -> {
                stop.quitTried = true;
                qmpCall(c -> c.quit(QMP_TIMEOUT), "quit");
            }
            case KILL -> {
                LOG.warnf("%s: QEMU pid %d ignored quit; killing it", key(), record.pid());
                node.launcher().kill(record);
            }
            case WAIT -> { }
        }
        publish();
        scheduleWake(Duration.ofMillis(500));
    }

    private interface QmpAction {
        void run(QmpClient c) throws QmpException;
    }

    private void qmpCall(QmpAction a, String what) {
        ensureConnected();
        if (qmp == null) {
            LOG.warnf("%s: no QMP connection for %s", key(), what);
            return;
        }
        try {
            a.run(qmp);
        } catch (QmpException e) {
            LOG.warnf("%s: %s failed: %s", key(), what, e.getMessage());
        }
    }

    /** After QEMU is gone for good: files, finalizer, forget. */
    private void finish() {
        closeConnections();
        try {
            paths.delete();
        } catch (IOException e) {
            LOG.warnf("%s: cannot remove %s: %s", key(), paths.dir(), e.getMessage());
        }
        if (!gone && vm != null) {
            try {
                VirtualMachine fresh = node.kube().get(vm.getMetadata().getNamespace(), vm.getMetadata().getName());
                if (fresh != null && uid.equals(fresh.getMetadata().getUid())) {
                    node.kube().removeFinalizer(fresh);
                }
            } catch (KubernetesClientException e) {
                LOG.warnf("%s: finalizer not removed yet: %s", key(), e.getMessage());
                scheduleWake(WATCH);
                return;
            }
        }
        LOG.infof("%s: QEMU stopped and state removed", key());
        forgotten = true;
        if (wake != null) {
            wake.cancel(false);
        }
        node.forget(this);
    }

    // ---- connections ----

    private void ensureConnected() {
        if (record == null) {
            return;
        }
        if (qmp == null || !qmp.isOpen()) {
            try {
                qmp = QmpClient.connect(paths.qmpSocket(), QMP_TIMEOUT, "qmp-" + uid.substring(0, 8),
                        e -> actor.execute(() -> onQmpEvent(e)), () -> actor.execute(this::reconcile));
                paused = !"running".equals(qmp.queryStatus(QMP_TIMEOUT));
            } catch (QmpException e) {
                LOG.debugf("%s: QMP not available: %s", key(), e.getMessage());
                qmp = null;
            }
        }
        if (poller == null && settings.enabled()) {
            poller = node.newPoller(key(), paths.agentSocket(), settings, v -> actor.execute(() -> {
                lastView = v;
                publish();
            }));
            poller.start();
        } else if (poller != null && !settings.enabled()) {
            poller.close();
            poller = null;
        }
    }

    private void onQmpEvent(QmpEvent e) {
        switch (e.name()) {
            case "SHUTDOWN" -> {
                guestShutdownSeen = e.guestInitiated() && !"guest-panic".equals(e.reason());
                LOG.infof("%s: QEMU SHUTDOWN (%s)", key(), e.reason());
            }
            case "STOP" -> paused = true;
            case "RESUME" -> paused = false;
            case "RESET" -> LOG.infof("%s: guest reset", key());
            case "POWERDOWN" -> LOG.infof("%s: ACPI powerdown requested", key());
            default -> { }
        }
        reconcile();
    }

    private void closeConnections() {
        if (qmp != null) {
            qmp.close();
            qmp = null;
        }
        if (poller != null) {
            lastView = poller.view();
            poller.close();
            poller = null;
        }
    }

    private void applySettings(AgentSettings s) {
        LOG.infof("%s: agent settings: responseTimeout %d, unresponsiveAfter %d, intervals %s", key(),
                s.responseTimeout(), s.unresponsiveAfter(), s.describeIntervals());
        settings = s;
        try {
            if (Files.isDirectory(paths.dir())) {
                s.write(paths.agentSettings());
            }
        } catch (IOException e) {
            LOG.warnf("%s: cannot persist agent settings: %s", key(), e.getMessage());
        }
        if (poller != null) {
            poller.apply(s);
        }
    }

    // ---- status ----

    private void publish() {
        if (vm == null || gone || forgotten) {
            return;
        }
        AgentView view = poller != null ? poller.view() : lastView;
        if (record == null) {
            // not running: the agent is not there; guest facts stay as last known
            view = new AgentView(false, false, 0, null, null, null, view.lastContact(), false, view.version(),
                    view.supportedCommands(), view.osInfo(), view.hostname(), view.timezone(), view.users(),
                    view.filesystems(), view.interfaces());
        }
        VmState s = new VmState(phase, record == null ? null : record.pid(), record == null ? node.acceleratorIfKnown()
                : record.accelerator(), record != null, runningReason, message, settings.enabled());
        VirtualMachineStatus desired = StatusBuilder.build(s, view, settings, vm.getStatus(),
                vm.getMetadata().getGeneration(), clock.instant());
        JsonNode want = KubeOps.owned(desired); // with the stored lastContact: a newer answer alone is no change
        if (want.equals(KubeOps.owned(vm.getStatus())) || want.equals(lastSent)) {
            return;
        }
        try {
            node.kube().applyStatus(vm.getMetadata().getNamespace(), vm.getMetadata().getName(),
                    StatusBuilder.withContact(desired, view.lastContact()));
            lastSent = want;
            String ek = phase + "/" + s.running() + "/" + (view.responsive() ? "R" : "U");
            if (!ek.equals(lastEventKey)) {
                lastEventKey = ek;
                LOG.infof("%s: phase %s, agent %s", key(), phase, desired.getAgent().getState());
            }
        } catch (KubernetesClientException e) {
            LOG.warnf("%s: status not written (%d): %s", key(), e.getCode(), e.getMessage());
            scheduleWake(WATCH);
        }
    }

    private void event(String type, String reason, String msg) {
        if (vm != null) {
            node.kube().event(vm, type, reason, msg);
        }
    }

    // ---- timers and persistence ----

    private void scheduleWake(Duration after) {
        if (forgotten) {
            return;
        }
        if (wake != null) {
            wake.cancel(false);
        }
        wake = node.timers().schedule(() -> actor.execute(this::reconcile), Math.max(1, after.toMillis()),
                TimeUnit.MILLISECONDS);
    }

    private History readHistory() {
        try {
            return JSON.readValue(Files.readAllBytes(paths.lifecycle()), History.class);
        } catch (IOException | RuntimeException e) {
            return History.NEW;
        }
    }

    private void writeHistory() {
        try {
            if (Files.isDirectory(paths.dir())) {
                VmPaths.writeAtomically(paths.lifecycle(), JSON.writeValueAsBytes(history));
            }
        } catch (IOException e) {
            LOG.warnf("%s: cannot persist lifecycle history: %s", key(), e.getMessage());
        }
    }

    String finalizerName() {
        return Agentvisor.FINALIZER;
    }
}
