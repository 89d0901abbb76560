package io.agentvisor.driver.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentvisor.agent.AgentCommand;
import io.agentvisor.agent.AgentOutcome;
import io.agentvisor.agent.GuestAgent;
import io.agentvisor.agent.GuestCommands;
import io.agentvisor.agent.ResponseTimeout;
import io.agentvisor.api.v1alpha1.AgentOperationPhase;
import io.agentvisor.api.v1alpha1.AgentOperationSpec;
import io.agentvisor.api.v1alpha1.AgentOperationStatus;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.ExecResult;
import io.agentvisor.api.v1alpha1.ExecSpec;
import io.agentvisor.api.v1alpha1.GuestCommand;
import io.agentvisor.api.v1alpha1.GuestCommandSpec;
import io.agentvisor.api.v1alpha1.GuestMaintenance;
import io.agentvisor.api.v1alpha1.GuestMaintenanceOperation;
import io.agentvisor.api.v1alpha1.GuestMaintenanceSpec;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.jboss.logging.Logger;

/**
 * Runs the agent operations (GuestCommand, GuestMaintenance) of the VMs placed on this node, each at most once,
 * through the VM's own agent connection and queue (the poller's {@link GuestAgent}).
 * <ul>
 * <li>At most once: before anything is sent, the driver claims the operation by writing phase Running with its
 * node, guarded by the resourceVersion (a conflict means someone else moved it: nothing is sent). An operation
 * found Running on this node that this process did not claim was claimed by an earlier driver whose outcome is
 * lost: it fails as OutcomeUnknown and is never re-sent.</li>
 * <li>Timeouts: the operation's own {@code spec.timeout} sets its command wait (never the sync, as libvirt's
 * per-call timeout); without it the VM's effective settings apply, live. Commands blocked for the VM are refused
 * (BlockedByPolicy) by the agent client, never sent.</li>
 * <li>FsFreeze: the driver thaws at {@code thawDeadline} unless a FsThaw came first, also after a restart
 * (the deadline is in the freeze's status).</li>
 * <li>Expiry: a finished operation is deleted {@code ttlSecondsAfterFinished} after its completion.</li>
 * </ul>
 * All decisions run on one scheduler thread; agent calls are asynchronous.
 */
final class AgentOperations implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AgentOperations.class);
    static final int MAX_REPLY = io.agentvisor.api.v1alpha1.Bounds.OPERATION_REPLY;
    static final int MAX_OUTPUT = io.agentvisor.api.v1alpha1.Bounds.EXEC_OUTPUT;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration EXEC_POLL = Duration.ofMillis(200);

    private final NodeDriver node;
    private final KubernetesClient client;
    private final ScheduledExecutorService exec;
    /** uids this driver process claimed (kept until the object is deleted: a late Running event is not a loss). */
    private final Set<String> claimed = ConcurrentHashMap.newKeySet();
    private final Map<String, ScheduledFuture<?>> expiries = new ConcurrentHashMap<>();
    /** VM uid -> the pending auto-thaw and the freeze it belongs to. */
    private final Map<String, AutoThaw> thaws = new ConcurrentHashMap<>();
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();

    private record AutoThaw(ScheduledFuture<?> timer, String namespace, String name) {
    }

    AgentOperations(NodeDriver node, KubernetesClient client, ScheduledExecutorService exec) {
        this.node = node;
        this.client = client;
        this.exec = exec;
    }

    void start() {
        informers.add(watch(GuestCommand.class));
        informers.add(watch(GuestMaintenance.class));
    }

    boolean watching() {
        return informers.stream().allMatch(SharedIndexInformer::isWatching);
    }

    private <T extends CustomResource<?, AgentOperationStatus>> SharedIndexInformer<T> watch(Class<T> kind) {
        return Informers.inform(client.resources(kind).inAnyNamespace(), new ResourceEventHandler<T>() {
            @Override
            public void onAdd(T op) {
                exec.execute(() -> seen(kind, op));
            }

            @Override
            public void onUpdate(T old, T op) {
                exec.execute(() -> seen(kind, op));
            }

            @Override
            public void onDelete(T op, boolean unknown) {
                claimed.remove(op.getMetadata().getUid());
                ScheduledFuture<?> f = expiries.remove(op.getMetadata().getUid());
                if (f != null) {
                    f.cancel(false);
                }
            }
        });
    }

    private static AgentOperationPhase phase(CustomResource<?, AgentOperationStatus> op) {
        return op.getStatus() == null || op.getStatus().getPhase() == null ? AgentOperationPhase.Pending
                : op.getStatus().getPhase();
    }

    private static String virtualMachine(CustomResource<?, AgentOperationStatus> op) {
        return op.getSpec() instanceof AgentOperationSpec s ? s.getVirtualMachine() : null;
    }

    private <T extends CustomResource<?, AgentOperationStatus>> void seen(Class<T> kind, T op) {
        String me = node.config().nodeName();
        AgentOperationStatus st = op.getStatus();
        AgentOperationPhase phase = phase(op);
        switch (phase) {
            case Pending -> maybeRun(kind, op);
            case Running -> {
                if (me.equals(st.getNode()) && !claimed.contains(op.getMetadata().getUid())) {
                    // claimed by an earlier driver on this node that went away before writing the outcome
                    finish(kind, op, s -> failed(s, "OutcomeUnknown", "the agent-driver on " + me + " restarted while"
                            + " this operation was running: whether it took effect is unknown, and it is not sent again"));
                }
            }
            case Succeeded, Failed -> {
                if (me.equals(st.getNode())) {
                    scheduleExpiry(kind, op);
                    resumeAutoThaw(op);
                }
            }
        }
    }

    private <T extends CustomResource<?, AgentOperationStatus>> void maybeRun(Class<T> kind, T op) {
        String ns = op.getMetadata().getNamespace();
        String vmName = virtualMachine(op);
        VirtualMachine vm = node.vmByName(ns, vmName);
        if (vm == null || vm.getStatus() == null || !node.config().nodeName().equals(vm.getStatus().getNodeName())) {
            return; // not a VM of this node (or not known yet): its own driver runs it
        }
        GuestAgent agent = node.agentOf(vm.getMetadata().getUid());
        Prepared p;
        try {
            p = prepare(op);
        } catch (IllegalArgumentException e) {
            claimThen(kind, op, null, () -> finish(kind, op, s -> failed(s, "Invalid", e.getMessage())));
            return;
        }
        if (agent == null) {
            claimThen(kind, op, null, () -> finish(kind, op, s -> failed(s, ConditionTypes.REASON_NOT_CONNECTED,
                    "the VM " + vmName + " has no guest agent connection on node " + node.config().nodeName()
                            + " (not running, or guestAgent.enabled is false)")));
            return;
        }
        ResponseTimeout used = p.timeout != null ? p.timeout : agent.responseTimeout();
        claimThen(kind, op, used, () -> {
            LOG.infof("%s %s/%s: %s on VM %s (timeout %s)", kind.getSimpleName(), ns, op.getMetadata().getName(),
                    p.describe, vmName, used);
            p.run.apply(new Run(agent, p.timeout)).whenCompleteAsync((result, err) -> {
                UnaryOperator<AgentOperationStatus> outcome = err == null ? result
                        : s -> failed(s, ConditionTypes.REASON_AGENT_ERROR, "internal error: " + err);
                finish(kind, op, outcome);
                if (p.afterFreeze != null && err == null) {
                    p.afterFreeze.accept(vm);
                }
            }, exec);
        });
    }

    /** The agent and the operation's own timeout (null: the VM's settings). */
    private record Run(GuestAgent agent, ResponseTimeout own) {
        <T> CompletableFuture<AgentOutcome<T>> call(AgentCommand<T> c) {
            return own == null ? agent.call(c) : agent.call(c, own);
        }
    }

    /** A validated operation: what to send, how to describe it. */
    private static final class Prepared {
        String describe;
        ResponseTimeout timeout;
        Function<Run, CompletableFuture<UnaryOperator<AgentOperationStatus>>> run;
        java.util.function.Consumer<VirtualMachine> afterFreeze;
    }

    /** Validates the spec (@throws IllegalArgumentException naming the field) and builds what runs. */
    private Prepared prepare(CustomResource<?, AgentOperationStatus> op) {
        Prepared p = new Prepared();
        Object spec = op.getSpec();
        if (spec == null) {
            throw new IllegalArgumentException("spec: missing");
        }
        if (spec instanceof GuestCommandSpec c) {
            p.timeout = timeout(c.getTimeout());
            switch (c.getOperation()) {
                case AgentCommand -> {
                    if (c.getCommand() == null) {
                        throw new IllegalArgumentException("spec.command: required for operation AgentCommand");
                    }
                    AgentCommand<JsonNode> cmd;
                    try {
                        cmd = GuestCommands.raw(c.getCommand());
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("spec.command: " + e.getMessage());
                    }
                    p.describe = cmd.name();
                    p.run = r -> r.call(cmd).thenApply(o -> outcome(o, ret -> s -> reply(s, ret)));
                }
                case Exec -> {
                    ExecSpec e = c.getExec();
                    if (e == null || e.getPath() == null) {
                        throw new IllegalArgumentException("spec.exec.path: required for operation Exec");
                    }
                    p.describe = "guest-exec " + e.getPath();
                    p.run = r -> exec(r, e);
                }
                default -> throw new IllegalArgumentException("spec.operation: unsupported " + c.getOperation());
            }
        } else if (spec instanceof GuestMaintenanceSpec m) {
            p.timeout = timeout(m.getTimeout());
            switch (m.getOperation()) {
                case FsFreeze -> {
                    ObjectNode req = JSON.createObjectNode();
                    List<String> mps = m.getMountpoints();
                    if (mps == null || mps.isEmpty()) {
                        req.put("execute", "guest-fsfreeze-freeze");
                    } else {
                        req.put("execute", "guest-fsfreeze-freeze-list");
                        mps.forEach(req.putObject("arguments").putArray("mountpoints")::add);
                    }
                    AgentCommand<JsonNode> cmd = GuestCommands.raw(req);
                    int after = m.getThawAfterSeconds() == null ? 300 : m.getThawAfterSeconds();
                    p.describe = cmd.name() + " (thaw after " + after + " s)";
                    p.run = r -> r.call(cmd).thenApply(o -> outcome(o, ret -> s -> {
                        reply(s, ret);
                        s.setThawDeadline(rfc3339(Instant.now().plusSeconds(after)));
                        s.setMessage("froze " + ret.asText() + " file system(s); the driver thaws them at "
                                + s.getThawDeadline() + " unless a FsThaw comes first");
                        return s;
                    }));
                    p.afterFreeze = vm -> armAutoThaw(vm.getMetadata().getUid(), op.getMetadata().getNamespace(),
                            op.getMetadata().getName(), Duration.ofSeconds(after));
                }
                case FsThaw -> {
                    AgentCommand<JsonNode> cmd = GuestCommands.raw("{\"execute\":\"guest-fsfreeze-thaw\"}");
                    p.describe = cmd.name();
                    p.run = r -> r.call(cmd).thenApply(o -> {
                        if (o.isSuccess()) {
                            cancelAutoThaw(r, "thawed by " + GuestMaintenance.class.getSimpleName() + " "
                                    + op.getMetadata().getName() + " at " + rfc3339(Instant.now()));
                        }
                        return outcome(o, ret -> s -> reply(s, ret));
                    });
                }
                case SetTime -> {
                    Instant t;
                    try {
                        t = m.getTime() == null ? null : Instant.parse(m.getTime());
                    } catch (DateTimeParseException e) {
                        throw new IllegalArgumentException("spec.time: \"" + m.getTime() + "\" is not an RFC 3339 time"
                                + " (e.g. 2026-11-29T22:00:00Z)");
                    }
                    p.describe = "guest-set-time " + (t == null ? "(the node's clock)" : t);
                    p.run = r -> {
                        Instant when = t == null ? Instant.now() : t;
                        ObjectNode req = JSON.createObjectNode().put("execute", "guest-set-time");
                        req.putObject("arguments").put("time", ChronoUnit.NANOS.between(Instant.EPOCH, when));
                        return r.call(GuestCommands.raw(req)).thenApply(o -> outcome(o, ret -> s -> {
                            reply(s, ret);
                            s.setMessage("set the guest's clock to " + rfc3339(when));
                            return s;
                        }));
                    };
                }
                default -> throw new IllegalArgumentException("spec.operation: unsupported " + m.getOperation());
            }
        } else {
            throw new IllegalArgumentException("spec: unknown kind");
        }
        return p;
    }

    private static ResponseTimeout timeout(IntOrString t) {
        if (t == null) {
            return null;
        }
        return t.getIntVal() != null ? ResponseTimeout.of(t.getIntVal(), "spec.timeout")
                : ResponseTimeout.parseName(t.getStrVal(), "spec.timeout");
    }

    // ---- exec ----

    private CompletableFuture<UnaryOperator<AgentOperationStatus>> exec(Run r, ExecSpec e) {
        ObjectNode req = JSON.createObjectNode().put("execute", "guest-exec");
        ObjectNode args = req.putObject("arguments").put("path", e.getPath()).put("capture-output", true);
        if (e.getArgs() != null) {
            e.getArgs().forEach(args.putArray("arg")::add);
        }
        if (e.getInput() != null) {
            args.put("input-data", Base64.getEncoder().encodeToString(e.getInput().getBytes(StandardCharsets.UTF_8)));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(e.getTimeoutSeconds() == null ? 60
                : e.getTimeoutSeconds());
        return r.call(GuestCommands.raw(req)).thenCompose(o -> {
            if (!o.isSuccess()) {
                return CompletableFuture.completedFuture(outcome(o, ret -> s -> s));
            }
            long pid = ((JsonNode) o.value()).path("pid").asLong(-1);
            CompletableFuture<UnaryOperator<AgentOperationStatus>> done = new CompletableFuture<>();
            pollExec(r, pid, deadline, done);
            return done;
        });
    }

    private void pollExec(Run r, long pid, long deadline, CompletableFuture<UnaryOperator<AgentOperationStatus>> done) {
        ObjectNode req = JSON.createObjectNode().put("execute", "guest-exec-status");
        req.putObject("arguments").put("pid", pid);
        r.call(GuestCommands.raw(req)).whenCompleteAsync((o, err) -> {
            if (err != null) {
                done.completeExceptionally(err);
                return;
            }
            if (!o.isSuccess()) {
                done.complete(outcome(o, ret -> s -> s));
                return;
            }
            JsonNode st = (JsonNode) o.value();
            if (st.path("exited").asBoolean(false)) {
                done.complete(s -> {
                    ExecResult x = new ExecResult();
                    x.setExitCode(st.has("exitcode") ? st.get("exitcode").asInt() : null);
                    x.setSignal(st.has("signal") ? st.get("signal").asInt() : null);
                    boolean[] cut = {st.path("out-truncated").asBoolean(false) || st.path("err-truncated").asBoolean(false)};
                    x.setStdout(decode(st.path("out-data").asText(""), cut));
                    x.setStderr(decode(st.path("err-data").asText(""), cut));
                    x.setTruncated(cut[0] ? Boolean.TRUE : null);
                    s.setExec(x);
                    return succeeded(s, "pid " + pid + " exited" + (x.getExitCode() != null ? " with code "
                            + x.getExitCode() : x.getSignal() != null ? " on signal " + x.getSignal() : ""));
                });
            } else if (System.nanoTime() > deadline) {
                done.complete(s -> failed(s, ConditionTypes.REASON_TIMEOUT, "pid " + pid + " is still running after"
                        + " spec.exec.timeoutSeconds; it keeps running in the guest"));
            } else {
                exec.schedule(() -> pollExec(r, pid, deadline, done), EXEC_POLL.toMillis(), TimeUnit.MILLISECONDS);
            }
        }, exec);
    }

    /** The stream's text; null (left out of status) when the program wrote nothing to it. */
    private static String decode(String b64, boolean[] cut) {
        if (b64.isEmpty()) {
            return null;
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (bytes.length > MAX_OUTPUT) {
            cut[0] = true;
            bytes = java.util.Arrays.copyOf(bytes, MAX_OUTPUT);
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    // ---- auto-thaw ----

    private void armAutoThaw(String vmUid, String ns, String name, Duration after) {
        AutoThaw old = thaws.remove(vmUid);
        if (old != null) {
            old.timer.cancel(false);
        }
        ScheduledFuture<?> f = exec.schedule(() -> autoThaw(vmUid, ns, name), Math.max(0, after.toMillis()),
                TimeUnit.MILLISECONDS);
        thaws.put(vmUid, new AutoThaw(f, ns, name));
    }

    private void cancelAutoThaw(Run r, String how) {
        exec.execute(() -> thaws.entrySet().removeIf(en -> {
            GuestAgent a = node.agentOf(en.getKey());
            if (a != r.agent) {
                return false;
            }
            en.getValue().timer.cancel(false);
            markThawed(en.getValue().namespace, en.getValue().name, how);
            return true;
        }));
    }

    private void autoThaw(String vmUid, String ns, String name) {
        thaws.remove(vmUid);
        GuestAgent a = node.agentOf(vmUid);
        if (a == null) {
            markThawed(ns, name, "auto-thaw at " + rfc3339(Instant.now()) + " not sent: the VM's agent is not attached");
            return;
        }
        // bounded whatever the VM's timeout: a thaw must not hang on a Block setting
        a.call(GuestCommands.raw("{\"execute\":\"guest-fsfreeze-thaw\"}"), ResponseTimeout.DEFAULT)
                .whenCompleteAsync((o, err) -> markThawed(ns, name, "auto-thaw at " + rfc3339(Instant.now()) + ": "
                        + (o != null && o.isSuccess() ? "thawed " + o.value() + " file system(s)" : "failed: "
                        + (o == null ? err : o.message()))), exec);
    }

    private void markThawed(String ns, String name, String how) {
        LOG.infof("GuestMaintenance %s/%s: %s", ns, name, how);
        try {
            GuestMaintenance m = client.resources(GuestMaintenance.class).inNamespace(ns).withName(name).get();
            if (m != null && m.getStatus() != null && m.getStatus().getThawed() == null) {
                m.getStatus().setThawed(how);
                client.resources(GuestMaintenance.class).inNamespace(ns).resource(m).updateStatus();
            }
        } catch (KubernetesClientException e) {
            LOG.warnf("GuestMaintenance %s/%s: status not written (%d): %s", ns, name, e.getCode(), e.getMessage());
        }
    }

    /** After a restart: a freeze of this node whose thaw is still owed gets its timer back (due now if past). */
    private void resumeAutoThaw(CustomResource<?, AgentOperationStatus> op) {
        if (!(op.getSpec() instanceof GuestMaintenanceSpec m) || m.getOperation() != GuestMaintenanceOperation.FsFreeze
                || op.getStatus().getPhase() != AgentOperationPhase.Succeeded || op.getStatus().getThawDeadline() == null
                || op.getStatus().getThawed() != null) {
            return;
        }
        VirtualMachine vm = node.vmByName(op.getMetadata().getNamespace(), m.getVirtualMachine());
        if (vm == null || thaws.containsKey(vm.getMetadata().getUid())) {
            return;
        }
        Duration left = Duration.between(Instant.now(), Instant.parse(op.getStatus().getThawDeadline()));
        armAutoThaw(vm.getMetadata().getUid(), op.getMetadata().getNamespace(), op.getMetadata().getName(),
                left.isNegative() ? Duration.ZERO : left);
    }

    // ---- status ----

    /** Writes Running (claim) guarded by the resourceVersion, then runs next; a conflict sends nothing. */
    private <T extends CustomResource<?, AgentOperationStatus>> void claimThen(Class<T> kind, T op,
            ResponseTimeout used, Runnable next) {
        op = client.getKubernetesSerialization().clone(op); // never change the informer's cached object
        AgentOperationStatus s = new AgentOperationStatus();
        s.setPhase(AgentOperationPhase.Running);
        s.setNode(node.config().nodeName());
        s.setStartTime(rfc3339(Instant.now()));
        s.setResponseTimeout(used == null ? null : used.value());
        op.setStatus(s);
        try {
            client.resources(kind).inNamespace(op.getMetadata().getNamespace()).resource(op).updateStatus();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409 && e.getCode() != 404) {
                LOG.warnf("%s %s/%s: not claimed (%d): %s", kind.getSimpleName(), op.getMetadata().getNamespace(),
                        op.getMetadata().getName(), e.getCode(), e.getMessage());
            }
            return; // changed meanwhile (the informer brings the new version) or gone: nothing was sent
        }
        claimed.add(op.getMetadata().getUid());
        next.run();
    }

    /** Writes the outcome onto the latest version (only the driver writes the status; a conflict is retried). */
    private <T extends CustomResource<?, AgentOperationStatus>> void finish(Class<T> kind, T op,
            UnaryOperator<AgentOperationStatus> outcome) {
        String ns = op.getMetadata().getNamespace();
        String name = op.getMetadata().getName();
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                T latest = client.resources(kind).inNamespace(ns).withName(name).get();
                if (latest == null || !latest.getMetadata().getUid().equals(op.getMetadata().getUid())
                        || phase(latest) == AgentOperationPhase.Succeeded || phase(latest) == AgentOperationPhase.Failed) {
                    return; // gone, replaced, or its outcome is written already (written once)
                }
                AgentOperationStatus s = latest.getStatus() == null ? new AgentOperationStatus() : latest.getStatus();
                s.setNode(node.config().nodeName());
                if (s.getStartTime() == null) {
                    s.setStartTime(rfc3339(Instant.now()));
                }
                s = outcome.apply(s);
                s.setCompletionTime(rfc3339(Instant.now()));
                latest.setStatus(s);
                client.resources(kind).inNamespace(ns).resource(latest).updateStatus();
                LOG.infof("%s %s/%s: %s (%s) %s", kind.getSimpleName(), ns, name, s.getPhase(), s.getReason(),
                        s.getMessage() == null ? "" : s.getMessage());
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    LOG.warnf("%s %s/%s: outcome not written (%d): %s", kind.getSimpleName(), ns, name, e.getCode(),
                            e.getMessage());
                    return;
                }
            }
        }
    }

    private <T extends CustomResource<?, AgentOperationStatus>> void scheduleExpiry(Class<T> kind, T op) {
        String uid = op.getMetadata().getUid();
        if (expiries.containsKey(uid) || op.getStatus().getCompletionTime() == null) {
            return;
        }
        Integer ttl = op.getSpec() instanceof AgentOperationSpec s ? s.getTtlSecondsAfterFinished() : null;
        Instant at = Instant.parse(op.getStatus().getCompletionTime()).plusSeconds(ttl == null ? 600 : ttl);
        long delay = Math.max(0, Duration.between(Instant.now(), at).toMillis());
        expiries.put(uid, exec.schedule(() -> {
            expiries.remove(uid);
            try {
                client.resources(kind).inNamespace(op.getMetadata().getNamespace()).withName(op.getMetadata().getName())
                        .delete();
                LOG.debugf("%s %s/%s expired", kind.getSimpleName(), op.getMetadata().getNamespace(),
                        op.getMetadata().getName());
            } catch (KubernetesClientException e) {
                LOG.warnf("%s %s/%s: not deleted after its ttl (%d): %s", kind.getSimpleName(),
                        op.getMetadata().getNamespace(), op.getMetadata().getName(), e.getCode(), e.getMessage());
            }
        }, delay, TimeUnit.MILLISECONDS));
    }

    /** The typed outcome as status: success applies onSuccess to the return value. */
    private static UnaryOperator<AgentOperationStatus> outcome(AgentOutcome<?> o,
            Function<JsonNode, UnaryOperator<AgentOperationStatus>> onSuccess) {
        if (o instanceof AgentOutcome.Success<?> s) {
            JsonNode ret = s.result() instanceof JsonNode j ? j : JSON.valueToTree(s.result());
            UnaryOperator<AgentOperationStatus> then = onSuccess.apply(ret == null ? JSON.createObjectNode() : ret);
            return st -> then.apply(succeeded(st, null));
        }
        if (o instanceof AgentOutcome.CommandError<?> e) {
            return st -> {
                failed(st, e.isBlocked() ? "BlockedByPolicy" : "CommandError", o.message());
                st.setErrorClass(e.isBlocked() ? null
                        : io.agentvisor.api.v1alpha1.Text.bounded(e.errorClass(), io.agentvisor.api.v1alpha1.Bounds.SHORT));
                return st;
            };
        }
        String reason = o instanceof AgentOutcome.NotResponding<?> ? ConditionTypes.REASON_TIMEOUT
                : o instanceof AgentOutcome.AgentError<?> ? ConditionTypes.REASON_AGENT_ERROR
                : ConditionTypes.REASON_NOT_CONNECTED;
        return st -> failed(st, reason, o.message());
    }

    private static AgentOperationStatus reply(AgentOperationStatus s, JsonNode ret) {
        String text = ret.toString();
        if (text.length() > MAX_REPLY) {
            s.setReply(text.substring(0, MAX_REPLY));
            s.setReplyTruncated(true);
        } else {
            s.setReply(text);
        }
        return s;
    }

    private static AgentOperationStatus succeeded(AgentOperationStatus s, String message) {
        return ended(s, AgentOperationPhase.Succeeded, "Succeeded", message);
    }

    private static AgentOperationStatus failed(AgentOperationStatus s, String reason, String message) {
        return ended(s, AgentOperationPhase.Failed, reason, message);
    }

    /** An operation's outcome: phase, reason and message, always set together. */
    private static AgentOperationStatus ended(AgentOperationStatus s, AgentOperationPhase phase, String reason,
            String message) {
        s.setPhase(phase);
        s.setReason(reason);
        // the agent's own words can be anything: bounded and printable, as the schema wants
        s.setMessage(io.agentvisor.api.v1alpha1.Text.bounded(message, io.agentvisor.api.v1alpha1.Bounds.MESSAGE));
        return s;
    }

    private static String rfc3339(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    @Override
    public void close() {
        informers.forEach(SharedIndexInformer::close);
        expiries.values().forEach(f -> f.cancel(false));
        thaws.values().forEach(t -> t.timer.cancel(false));
    }
}
