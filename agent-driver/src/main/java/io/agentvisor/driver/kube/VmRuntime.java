package io.agentvisor.driver.kube;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentvisor.agent.GuestCommands.ShutdownMode;
import io.agentvisor.api.v1alpha1.Agentvisor;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.agentvisor.api.v1alpha1.VmPods;
import io.agentvisor.driver.credentials.CredentialSync;
import io.agentvisor.driver.credentials.VmCredentials;
import io.agentvisor.driver.kube.VmState.RunState;
import io.agentvisor.driver.kube.VmState.RunState.Reason;
import io.agentvisor.driver.poll.AgentPoller;
import io.agentvisor.driver.poll.AgentSettings;
import io.agentvisor.driver.poll.AgentView;
import io.agentvisor.driver.qemu.Accelerator;
import io.agentvisor.driver.qemu.ProcFs;
import io.agentvisor.qmp.AgentChannel;
import io.agentvisor.qmp.QmpClient;
import io.agentvisor.qmp.QmpClient.QmpEvent;
import io.agentvisor.qmp.QmpException;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * One VM pod bound to this node, driven as an actor (every method runs on the pod's own serial executor: no
 * locks, and a frozen QEMU only ever holds up this VM). The driver attaches to what the pod runs and never owns
 * it: it connects to QEMU's QMP socket and the guest agent's socket in the pod's run volume, applies the VM's
 * effective agent settings to the live agent connection, polls the agent, writes the VM's status, and on the pod's
 * deletion asks the guest to shut down. Closing this (a driver restart) leaves QEMU running untouched.
 */
final class VmRuntime {
    private static final Logger LOG = Logger.getLogger(VmRuntime.class);
    /** How often an attached VM's QEMU pid is re-checked in /proc (QMP EOF is the fast path for an exit). */
    private static final Duration WATCH = Duration.ofSeconds(10);
    /** How soon a VM pod whose QEMU is not reachable yet is tried again. */
    private static final Duration RETRY = Duration.ofSeconds(1);
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(5);
    static final String GUEST_SHUTDOWN = "guest-shutdown";

    private final NodeDriver node;
    final String podUid;
    private final PodSockets sockets;
    private final Executor actor;
    private final Clock clock = Clock.systemUTC();

    /** Where the pod is in its life, as far as this runtime is concerned. */
    private enum Stage {
        /** The pod runs, or waits to. */
        PRESENT,
        /** The pod is being deleted and the guest was asked to shut down (once). */
        STOP_SENT,
        /** The pod is gone from the API: detach, say so, forget. */
        DELETED,
        /** Nothing more to do (the pod is gone, or the driver stops). */
        FORGOTTEN
    }

    private Stage stage = Stage.PRESENT;
    private Pod pod;
    private VmRef ref;
    /** The VM as last seen (kept after its deletion, for events). */
    private VirtualMachine vm;
    private boolean vmGone;
    private AgentSettings settings;

    private QmpClient qmp;
    /** Bumped on every attach: a close callback of an older connection is ignored. */
    private int attachGeneration;
    private ProcFs.ProcessId qemu;
    private String accelerator;
    private boolean paused;
    /** QEMU's frontend-open of the agent port (null: QEMU has no such chardev or was not asked yet). */
    private Boolean guestPortOpen;
    private final AgentChannel channel = new AgentChannel(VmPods.AGENT_CHARDEV, VmPods.AGENT_PORT_ID);
    private boolean guestShutdownSeen;
    private AgentPoller poller;
    /** The poller's agent while one runs (read by agent operations from other threads). */
    private volatile io.agentvisor.agent.GuestAgent liveAgent;
    private AgentView lastView = AgentView.INITIAL;

    /** What Running says after QEMU exited (Stopped, QemuExited), until a QEMU is attached again; else null. */
    private RunState exited;
    private RunState run = new RunState(Reason.Attaching, "waiting for QEMU in the VM's pod");
    private String lastAttachProblem;
    private JsonNode lastSent;
    private boolean pidMissingLogged;
    private final VmCredentials credentials = new VmCredentials();
    /** What the AccessCredentialsSynchronized condition says (null: not worked out yet, the stored one stays). */
    private CredentialSync.Wanted credentialState;
    private ScheduledFuture<?> wake;

    VmRuntime(NodeDriver node, String podUid, Executor actor) {
        this.node = node;
        this.podUid = podUid;
        this.sockets = PodSockets.of(node.config(), podUid);
        this.actor = actor;
    }

    String key() {
        return ref != null ? ref.key() : pod != null ? pod.getMetadata().getNamespace() + "/"
                + pod.getMetadata().getName() : podUid;
    }

    String vmUid() {
        return ref == null ? null : ref.uid();
    }

    io.agentvisor.agent.GuestAgent liveAgent() {
        return liveAgent;
    }

    /** The pod's creation (RFC 3339, second resolution) and uid, to order the pods of one VM. */
    private volatile String created = "";

    boolean createdAfter(VmRuntime other) {
        int c = created.compareTo(other.created);
        return c > 0 || c == 0 && podUid.compareTo(other.podUid) > 0;
    }

    /** Attached to a live QEMU (counted by the agentvisor_vms_running gauge). */
    volatile boolean attached;

    // ---- entry points (any thread) ----

    void update(Pod latest) {
        actor.execute(() -> {
            if (stage == Stage.FORGOTTEN) {
                return;
            }
            boolean first = pod == null;
            pod = latest;
            created = latest.getMetadata().getCreationTimestamp() == null ? ""
                    : latest.getMetadata().getCreationTimestamp();
            if (ref == null) {
                ref = vmOf(latest).orElse(null);
                if (ref == null && first) {
                    LOG.warnf("pod %s/%s is labelled %s=%s but has no VirtualMachine controller owner: not attaching",
                            latest.getMetadata().getNamespace(), latest.getMetadata().getName(), VmPods.APP_LABEL,
                            VmPods.APP);
                }
                if (ref != null) {
                    vmChanged(node.vm(ref.uid()));
                }
            }
            reconcile();
        });
    }

    /** The VM this pod runs changed (null: it is gone from the API). */
    void vm(VirtualMachine latest) {
        actor.execute(() -> {
            if (stage == Stage.FORGOTTEN) {
                return;
            }
            vmChanged(latest);
            reconcile();
        });
    }

    void podDeleted() {
        actor.execute(() -> {
            if (stage != Stage.FORGOTTEN) {
                stage = Stage.DELETED;
            }
            reconcile();
        });
    }

    /** The driver stops: connections close, QEMU keeps running for the next driver to attach to. */
    void close() {
        actor.execute(() -> {
            stage = Stage.FORGOTTEN;
            if (wake != null) {
                wake.cancel(false);
            }
            closeConnections();
        });
    }

    // ---- the reconcile ----

    private void vmChanged(VirtualMachine latest) {
        if (latest == null) {
            // deleted: keep the last copy for events, write no status any more
            vmGone = vm != null;
            return;
        }
        if (ref != null && !ref.uid().equals(latest.getMetadata().getUid())) {
            return;
        }
        vm = latest;
        vmGone = false;
        AgentSettings s = AgentSettings.of(latest, settings == null ? AgentSettings.DEFAULTS : settings);
        if (!s.equals(settings)) {
            LOG.infof("%s: agent settings: responseTimeout %d, unresponsiveAfter %d, intervals %s", key(),
                    s.responseTimeout(), s.unresponsiveAfter(), s.describeIntervals());
            settings = s;
            if (poller != null && s.enabled()) {
                poller.apply(s);
            } else if (poller != null) {
                lastView = poller.view();
                poller.close();
                poller = null;
                liveAgent = null;
            }
        }
    }

    private void reconcile() {
        if (stage == Stage.FORGOTTEN) {
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
        if (stage == Stage.DELETED || pod == null || ref == null) {
            if (stage == Stage.DELETED) {
                detach();
                run = new RunState(Reason.Stopped, "the VM's pod " + podName() + " is gone");
                publish();
                try {
                    sockets.removeLink();
                } catch (IOException e) {
                    LOG.warnf("%s: cannot remove %s: %s", key(), sockets.link(), e.getMessage());
                }
                stage = Stage.FORGOTTEN;
                node.forget(this);
            }
            return;
        }
        if (podTerminated(pod)) {
            detach();
            run = new RunState(Reason.Stopped, "the VM's pod " + podName() + " has ended ("
                    + pod.getStatus().getPhase() + ")");
            publish();
            return;
        }
        if (qmp == null) {
            attach();
        }
        if (qmp != null) {
            if (qemu == null || !node.proc().alive(qemu)) {
                findPid();
            }
            if (poller == null && vm != null && settings != null && settings.enabled()) {
                startPoller();
            }
            if (podDeleting(pod)) {
                if (stage == Stage.PRESENT) {
                    gracefulStop();
                }
                run = new RunState(Reason.Stopping, "the VM's pod " + podName() + " is being deleted: the guest was "
                        + "asked to shut down (" + stopHow + ")");
            } else {
                run = new RunState(paused ? Reason.Paused : Reason.Running, describeRunning());
            }
        } else if (podDeleting(pod) && run.reason() == Reason.Attaching) {
            run = new RunState(Reason.Stopping, "the VM's pod " + podName() + " is being deleted (QEMU is not "
                    + "reachable from the driver)");
        }
        publish();
        syncCredentials();
        scheduleWake(qmp == null ? RETRY : WATCH);
    }

    private String podName() {
        return pod == null ? podUid : pod.getMetadata().getName();
    }

    private String describeRunning() {
        StringBuilder b = new StringBuilder("QEMU ").append(qemu == null ? "(pid not found on this node)"
                : "pid " + qemu.pid()).append(" in pod ").append(podName());
        if (accelerator != null) {
            b.append(", ").append(accelerator);
        }
        Accelerator.Verdict kvm = node.kvmVerdict();
        if (Accelerator.TCG.equals(accelerator) && kvm != null && !kvm.works()) {
            b.append(" (KVM is not offered on node ").append(node.config().nodeName()).append(": ")
                    .append(kvm.reason()).append(')');
        }
        if (paused) {
            b.append(" (paused)");
        }
        return b.toString();
    }

    // ---- attaching ----

    private void attach() {
        try {
            sockets.createLink();
            if (!PodSockets.isSocket(sockets.qmp())) {
                notAttached("waiting for QEMU's QMP socket in pod " + podName());
                return;
            }
        } catch (IOException e) {
            notAttached(e.getMessage());
            return;
        }
        int gen = ++attachGeneration;
        QmpClient c;
        try {
            c = QmpClient.connect(sockets.qmp(), QMP_TIMEOUT, "qmp-" + podUid.substring(0, 8),
                    e -> actor.execute(() -> onQmpEvent(gen, e)), () -> actor.execute(() -> onQmpClosed(gen)));
            paused = !"running".equals(c.queryStatus(QMP_TIMEOUT));
            accelerator = c.execute("query-kvm", null, QMP_TIMEOUT).path("enabled").asBoolean(false)
                    ? Accelerator.KVM : Accelerator.TCG;
            guestPortOpen = channel.trackedGuestOpen(c, QMP_TIMEOUT).orElse(null);
        } catch (QmpException e) {
            notAttached("QEMU's QMP socket does not answer: " + e.getMessage());
            return;
        }
        qmp = c;
        attached = true;
        exited = null;
        guestShutdownSeen = false;
        pidMissingLogged = false;
        lastAttachProblem = null;
        findPid();
        LOG.infof("%s: attached to QEMU %s in pod %s (%s%s)", key(), qemu == null ? "(pid not found)" : "pid "
                + qemu.pid(), podName(), accelerator, paused ? ", paused" : "");
        event("Normal", "Attached", "the node driver on " + node.config().nodeName() + " attached to QEMU "
                + (qemu == null ? "" : "pid " + qemu.pid() + " ") + "in pod " + podName() + " (" + accelerator + ")");
    }

    private void notAttached(String why) {
        // after an exit, the condition keeps saying so until a QEMU is attached again
        run = exited != null ? new RunState(exited.reason(), exited.message() + "; " + why)
                : new RunState(Reason.Attaching, why);
        if (!Objects.equals(why, lastAttachProblem)) {
            LOG.debugf("%s: not attached: %s", key(), why);
            lastAttachProblem = why;
        }
    }

    private void findPid() {
        try {
            ProcFs.ProcessId found = node.proc().findQemuListeningOn(sockets.qmp()).orElse(null);
            if (found == null && !pidMissingLogged) {
                pidMissingLogged = true;
                LOG.warnf("%s: no qemu-system process on this node listens on %s (is the driver in the host's pid "
                        + "namespace?)", key(), sockets.qmpOnNode());
            }
            qemu = found;
        } catch (java.nio.file.NoSuchFileException e) {
            qemu = null; // QEMU is exiting (it removes its socket): QMP's EOF follows
        } catch (IOException e) {
            if (!pidMissingLogged) {
                pidMissingLogged = true;
                LOG.warnf("%s: cannot look for QEMU's pid: %s", key(), e.getMessage());
            }
            qemu = null;
        }
    }

    private void startPoller() {
        try {
            if (!PodSockets.isSocket(sockets.qga())) {
                LOG.debugf("%s: no guest agent socket yet", key());
            }
        } catch (IOException e) {
            LOG.warnf("%s: %s", key(), e.getMessage());
            return;
        }
        poller = node.newPoller(key(), sockets.qga(), settings, v -> actor.execute(() -> {
            if (poller != null) {
                lastView = v;
                publish();
                syncCredentials();
            }
        }));
        // QEMU's view of the guest, as libvirt feeds its agent: from now on every QMP event follows
        if (guestPortOpen != null) {
            poller.agent().setGuestPortOpen(guestPortOpen);
        }
        poller.agent().setPaused(paused);
        poller.start();
        liveAgent = poller.agent();
    }

    private void onQmpEvent(int gen, QmpEvent e) {
        if (gen != attachGeneration) {
            return;
        }
        channel.portChange(e).ifPresent(open -> {
            guestPortOpen = open;
            LOG.infof("%s: the guest %s its end of the agent channel", key(), open ? "opened" : "closed");
        });
        if (poller != null && channel.apply(e, poller.agent())) {
            poller.guestChannelChanged();
        }
        switch (e.name()) {
            case "SHUTDOWN" -> {
                guestShutdownSeen = e.guestInitiated() && !"guest-panic".equals(e.reason());
                LOG.infof("%s: QEMU SHUTDOWN (%s, guest %s)", key(), e.reason(), e.guestInitiated());
                if (guestShutdownSeen) {
                    event("Normal", "GuestShutdown", "the guest shut itself down (QMP SHUTDOWN, reason " + e.reason()
                            + ")");
                }
            }
            case "STOP" -> paused = true;
            case "RESUME" -> paused = false;
            case "RESET" -> LOG.infof("%s: guest reset", key());
            case "POWERDOWN" -> LOG.infof("%s: ACPI powerdown requested", key());
            default -> { }
        }
        reconcile();
    }

    /** QMP ended: QEMU exited (the container ends with it), or only the connection broke. */
    private void onQmpClosed(int gen) {
        if (gen != attachGeneration || qmp == null) {
            return;
        }
        ProcFs.ProcessId was = qemu;
        boolean stillThere = was != null && node.proc().alive(was);
        detach();
        if (stillThere) {
            LOG.infof("%s: QMP connection lost, QEMU pid %d still runs: re-attaching", key(), was.pid());
        } else {
            String pid = was == null ? "" : " (pid " + was.pid() + ")";
            LOG.infof("%s: QEMU%s exited%s", key(), pid, guestShutdownSeen ? " after a guest shutdown" : "");
            boolean stopped = stage == Stage.STOP_SENT || guestShutdownSeen;
            if (!stopped) {
                event("Warning", "QemuExited", "QEMU" + pid + " in pod " + podName() + " ended without a guest "
                        + "shutdown; the pod's restartPolicy decides what happens next");
            }
            exited = new RunState(stopped ? Reason.Stopped : Reason.QemuExited, "QEMU" + pid + " in pod " + podName()
                    + " exited" + (guestShutdownSeen ? " after the guest shut down" : ""));
            run = exited;
        }
        reconcile();
    }

    // ---- graceful stop ----

    private String stopHow = "";

    /**
     * The pod is being deleted (VM deleted or Halted, drain, eviction, preemption): the kubelet will SIGTERM the
     * launcher, which waits a little for this, then tries ACPI and quit itself. The driver's part: guest-agent
     * guest-shutdown where the agent answers (libvirt's fixed 60 s agent wait), else ACPI powerdown over QMP.
     */
    private void gracefulStop() {
        stage = Stage.STOP_SENT;
        boolean agentUsable = poller != null && poller.view().link().responsive() && settings.enabled()
                && !settings.blocked(GUEST_SHUTDOWN);
        if (agentUsable) {
            stopHow = "guest-shutdown through the guest agent";
            LOG.infof("%s: pod %s is being deleted: guest-shutdown through the guest agent", key(), podName());
            event("Normal", "ShuttingDown", "the VM's pod " + podName() + " is being deleted: " + GUEST_SHUTDOWN
                    + " sent through the guest agent");
            int gen = attachGeneration;
            poller.agent().shutdown(ShutdownMode.POWERDOWN).whenComplete((o, err) -> actor.execute(() -> {
                if (gen == attachGeneration && qmp != null && (o == null || !o.isSuccess())) {
                    String why = o == null ? String.valueOf(err) : o.message();
                    LOG.infof("%s: %s failed (%s): ACPI powerdown instead", key(), GUEST_SHUTDOWN, why);
                    acpiPowerdown(GUEST_SHUTDOWN + " failed: " + why);
                }
            }));
        } else {
            acpiPowerdown(settings == null || !settings.enabled() ? "the VM has no guest agent"
                    : settings.blocked(GUEST_SHUTDOWN) ? GUEST_SHUTDOWN + " is blocked by policy"
                    : "the guest agent is not answering");
        }
    }

    private void acpiPowerdown(String why) {
        stopHow = "ACPI powerdown: " + why;
        LOG.infof("%s: pod %s is being deleted: ACPI powerdown (%s)", key(), podName(), why);
        event("Normal", "ShuttingDown", "the VM's pod " + podName() + " is being deleted: ACPI powerdown "
                + "(system_powerdown) because " + why);
        try {
            qmp.systemPowerdown(QMP_TIMEOUT);
        } catch (QmpException e) {
            LOG.warnf("%s: system_powerdown failed: %s", key(), e.getMessage());
        }
    }

    // ---- connections ----

    private void detach() {
        attachGeneration++;
        closeConnections();
        qemu = null;
        accelerator = null;
        paused = false;
        guestPortOpen = null;
        attached = false;
    }

    private void closeConnections() {
        if (qmp != null) {
            QmpClient c = qmp;
            qmp = null;
            c.close();
        }
        if (poller != null) {
            lastView = poller.view();
            poller.close();
            poller = null;
            liveAgent = null;
        }
    }

    // ---- status ----

    /**
     * Writes the driver's part of the VM's status when it changed. Only while the VM is placed on this node as far
     * as the API says (status.nodeName unset or this node), and only for the newest of the VM's pods here: a pod
     * that ended must not overwrite what is written for the VM's next pod, on this node or another.
     */
    private void publish() {
        if (vm == null || vmGone || settings == null) {
            return;
        }
        String placedOn = vm.getStatus() == null ? null : vm.getStatus().getNodeName();
        if (placedOn != null && !placedOn.equals(node.config().nodeName()) || !node.isCurrent(this)) {
            return;
        }
        boolean running = qmp != null;
        AgentView view = poller != null ? poller.view() : lastView;
        if (!running) {
            view = view.detached(); // the agent is not there; guest facts stay as last known
        }
        VmState s = new VmState(running ? new VmState.Qemu(qemu == null ? null : qemu.pid(), accelerator) : null, run,
                settings.enabled(), credentialState);
        VirtualMachineStatus desired = StatusBuilder.build(s, view, settings, vm.getStatus(),
                vm.getMetadata().getGeneration(), clock.instant());
        JsonNode want = KubeOps.owned(desired); // with the stored lastContact: a newer answer alone is no change
        if (want.equals(KubeOps.owned(vm.getStatus())) || want.equals(lastSent)) {
            return;
        }
        try {
            node.kube().applyStatus(vm.getMetadata().getNamespace(), vm.getMetadata().getName(),
                    StatusBuilder.withContact(desired, view.link().lastContact()));
            lastSent = want;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return;
            }
            LOG.warnf("%s: status not written (%d): %s", key(), e.getCode(), e.getMessage());
            scheduleWake(WATCH);
        }
    }

    /** spec.accessCredentials applied through the guest agent; its condition goes out with the status. */
    private void syncCredentials() {
        if (vm == null || vmGone || pod == null || stage == Stage.DELETED || stage == Stage.FORGOTTEN) {
            return;
        }
        String placedOn = vm.getStatus() == null ? null : vm.getStatus().getNodeName();
        if (placedOn != null && !placedOn.equals(node.config().nodeName()) || !node.isCurrent(this)) {
            return;
        }
        AgentView view = poller != null ? poller.view() : null;
        // while the guest's file systems are frozen qemu-ga refuses these commands: they wait for the thaw
        boolean agentUp = qmp != null && view != null && view.link().connected() && view.link().responsive()
                && !view.guest().frozen();
        CredentialSync.Wanted now = credentials.sync(vm, pod, node.config().kubeletRootDir(), liveAgent, agentUp, actor,
                () -> {
                    if (stage != Stage.FORGOTTEN) {
                        syncCredentials();
                    }
                }, this::event, key());
        if (now != null && !now.equals(credentialState)) {
            credentialState = now;
            publish();
        }
    }

    private void event(String type, String reason, String msg) {
        if (vm != null) {
            node.kube().event(vm, type, reason, msg);
        }
    }

    private void scheduleWake(Duration after) {
        if (stage == Stage.FORGOTTEN) {
            return;
        }
        if (wake != null) {
            wake.cancel(false);
        }
        wake = node.timers().schedule(() -> actor.execute(this::reconcile), Math.max(1, after.toMillis()),
                TimeUnit.MILLISECONDS);
    }

    // what the driver reads from a VM pod (the contract itself is VmPods)

    /** The VirtualMachine (namespace, name, uid) a VM pod belongs to. */
    record VmRef(String namespace, String name, String uid) {
        String key() {
            return namespace + "/" + name;
        }
    }

    /** The pod's controller owner, when it is a VirtualMachine. */
    static Optional<VmRef> vmOf(Pod pod) {
        if (pod.getMetadata().getOwnerReferences() != null) {
            for (OwnerReference o : pod.getMetadata().getOwnerReferences()) {
                if ("VirtualMachine".equals(o.getKind()) && o.getApiVersion() != null
                        && o.getApiVersion().startsWith(Agentvisor.GROUP + "/") && Boolean.TRUE.equals(o.getController())) {
                    return Optional.of(new VmRef(pod.getMetadata().getNamespace(), o.getName(), o.getUid()));
                }
            }
        }
        return Optional.empty();
    }

    /** Succeeded or Failed: the kubelet will not run its containers again. */
    private static boolean podTerminated(Pod pod) {
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        return "Succeeded".equals(phase) || "Failed".equals(phase);
    }

    private static boolean podDeleting(Pod pod) {
        return pod.getMetadata().getDeletionTimestamp() != null;
    }
}
