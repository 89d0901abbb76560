package io.agentvisor.driver.credentials;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentvisor.agent.AgentCommand;
import io.agentvisor.agent.AgentOutcome;
import io.agentvisor.agent.GuestAgent;
import io.agentvisor.agent.GuestCommands;
import io.agentvisor.api.v1alpha1.AccessCredential;
import io.agentvisor.api.v1alpha1.Bounds;
import io.agentvisor.api.v1alpha1.ConditionTypes;
import io.agentvisor.api.v1alpha1.Text;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Keeps one VM's guest in step with its {@code spec.accessCredentials}, level-triggered: every pass (the VM's
 * reconcile, every few seconds while attached, and on every change of the agent's state) re-reads the pod's secret
 * volumes and sends what differs from what this driver last applied, through the VM's own agent connection and
 * queue ({@link GuestAgent#call}: the VM's timeout and blocked commands apply; a blocked command is never sent).
 * Everything is re-sent when the agent comes (back) up: a rebooted guest may have lost it. A failed step is tried
 * again when its content, the agent or the VM's blocked commands change, or after {@link #RETRY_FAILED}. One pass
 * at a time per VM. Not thread-safe: called on the VM's own actor.
 */
public final class CredentialSync {
    public static final Duration RETRY_FAILED = Duration.ofMinutes(5);
    public static final String SYNCHRONIZED = "Synchronized";
    public static final String APPLYING = "Applying";
    public static final String USER_UNKNOWN = "UserUnknown";
    public static final String BLOCKED_BY_POLICY = "BlockedByPolicy";
    public static final String COMMAND_ERROR = "CommandError";

    /** The condition wanted: status, reason, message; {@link #NONE}: the VM has no access credentials. */
    public record Wanted(boolean status, String reason, String message) {
    }

    public static final Wanted NONE = new Wanted(false, null, null);

    private record Done(String hash) {
    }

    private record Failed(String hash, String reason, String message, Instant at, Set<String> blocked) {
    }

    private final Map<String, Done> applied = new HashMap<>();
    private final Map<String, Failed> failed = new HashMap<>();
    private boolean agentWasUp;
    private boolean resendAll;
    private boolean inFlight;
    private Wanted last;

    /**
     * One pass: plans, sends what is due (asynchronously; {@code whenSent} runs on {@code actor} once the replies are
     * in) and says which condition the VM should show now.
     *
     * @param agent   the VM's live agent, or null
     * @param agentUp the guest opened the channel and the agent answers
     */
    public Wanted pass(List<AccessCredential> creds, Map<String, String> volumeOfSecret,
            CredentialPlan.VolumeReader reader, GuestAgent agent, boolean agentUp, Executor actor, Runnable whenSent,
            Supplier<Instant> clock) {
        if (creds == null || creds.isEmpty()) {
            applied.clear();
            failed.clear();
            last = NONE;
            return NONE;
        }
        boolean up = agentUp && agent != null;
        if (up && !agentWasUp) {
            resendAll = true;
        }
        agentWasUp = up;
        List<CredentialPlan.Entry> entries = CredentialPlan.plan(creds, volumeOfSecret, reader);
        Instant now = clock.get();
        if (up && !inFlight) {
            Set<String> blocked = agent.blockedCommands();
            List<CredentialPlan.Step> due = new ArrayList<>();
            for (CredentialPlan.Entry e : entries) {
                for (CredentialPlan.Step s : e.steps()) {
                    Done d = applied.get(s.id());
                    Failed f = failed.get(s.id());
                    boolean retry = f == null || !f.hash.equals(s.hash()) || !f.blocked.equals(blocked)
                            || Duration.between(f.at, now).compareTo(RETRY_FAILED) >= 0;
                    if (resendAll || (d == null || !d.hash.equals(s.hash())) && retry) {
                        due.add(s);
                    }
                }
            }
            resendAll = false;
            if (!due.isEmpty()) {
                inFlight = true;
                send(agent, due, 0, new LinkedHashMap<>(), blocked, clock).whenCompleteAsync((results, err) -> {
                    inFlight = false;
                    if (results != null) {
                        results.forEach((step, outcome) -> record(step, outcome, blocked, clock.get()));
                    }
                    whenSent.run();
                }, actor);
            }
        }
        if (inFlight && last != null && last != NONE) {
            return last; // the replies decide; no intermediate write
        }
        last = condition(entries, up);
        return last;
    }

    private CompletableFuture<Map<CredentialPlan.Step, AgentOutcome<JsonNode>>> send(GuestAgent agent,
            List<CredentialPlan.Step> due, int i, Map<CredentialPlan.Step, AgentOutcome<JsonNode>> results,
            Set<String> blocked, Supplier<Instant> clock) {
        if (i == due.size()) {
            return CompletableFuture.completedFuture(results);
        }
        CredentialPlan.Step s = due.get(i);
        AgentCommand<JsonNode> cmd = GuestCommands.raw(s.request());
        return agent.call(cmd).thenCompose(o -> {
            results.put(s, o);
            return send(agent, due, i + 1, results, blocked, clock);
        });
    }

    private void record(CredentialPlan.Step s, AgentOutcome<JsonNode> o, Set<String> blocked, Instant now) {
        if (o.isSuccess()) {
            applied.put(s.id(), new Done(s.hash()));
            failed.remove(s.id());
            return;
        }
        applied.remove(s.id());
        String reason;
        String why;
        if (o instanceof AgentOutcome.CommandError<?> e) {
            String detail = CredentialPlan.safeDetail(e.description(), s);
            if (e.isBlocked()) {
                reason = BLOCKED_BY_POLICY;
                why = s.command() + " is blocked for this VM (blockedCommands)";
            } else if (CredentialPlan.ADD_KEYS.equals(s.command()) && detail != null
                    && detail.startsWith("failed to lookup user")) {
                reason = USER_UNKNOWN;
                why = "the guest has no user " + s.user();
            } else {
                reason = COMMAND_ERROR;
                why = s.command() + " failed: " + e.errorClass() + (detail == null ? "" : ": " + oneLine(detail))
                        + (CredentialPlan.SET_PASSWORD.equals(s.command()) ? " (is " + s.user() + " a user of the guest?)"
                        : "");
            }
        } else {
            reason = o instanceof AgentOutcome.NotResponding<?> ? ConditionTypes.REASON_TIMEOUT
                    : o instanceof AgentOutcome.AgentError<?> ? ConditionTypes.REASON_AGENT_ERROR
                    : ConditionTypes.REASON_NOT_CONNECTED;
            // these messages name the command and the wait, never the request
            why = CredentialPlan.safeDetail(o.message(), s);
            if (why == null) {
                why = s.command() + " failed (" + reason + ")";
            }
        }
        failed.put(s.id(), new Failed(s.hash(), reason, "Secret " + s.secretName() + ": " + s.describe()
                + " not applied: " + why, now, Set.copyOf(blocked)));
    }

    private static String oneLine(String s) {
        return s.replaceAll("\\s+", " ").strip();
    }

    /** The condition for what is known now. */
    private Wanted condition(List<CredentialPlan.Entry> entries, boolean up) {
        String firstReason = null;
        List<String> problems = new ArrayList<>();
        List<String> pending = new ArrayList<>();
        Map<String, List<String>> done = new LinkedHashMap<>();
        for (CredentialPlan.Entry e : entries) {
            if (!e.ok()) {
                firstReason = firstReason == null ? e.reason() : firstReason;
                problems.add(e.problem());
                continue;
            }
            for (CredentialPlan.Step s : e.steps()) {
                Done d = applied.get(s.id());
                Failed f = failed.get(s.id());
                if (d != null && d.hash.equals(s.hash())) {
                    done.computeIfAbsent(s.secretName(), k -> new ArrayList<>()).add(s.describe());
                } else if (f != null && f.hash.equals(s.hash())) {
                    firstReason = firstReason == null ? f.reason : firstReason;
                    problems.add(f.message);
                } else {
                    pending.add("Secret " + s.secretName() + ": " + s.describe());
                }
            }
        }
        StringBuilder applied = new StringBuilder();
        done.forEach((secret, what) -> applied.append(applied.length() == 0 ? "" : "; ").append("Secret ")
                .append(secret).append(": ").append(String.join(", ", what)));
        if (!problems.isEmpty()) {
            String m = String.join("; ", problems) + (applied.length() == 0 ? "" : "; applied: " + applied);
            return new Wanted(false, firstReason, Text.bounded(m, Bounds.MESSAGE));
        }
        if (!pending.isEmpty()) {
            String m = (up ? "applying " : "waiting for the guest agent to apply ") + String.join("; ", pending);
            return new Wanted(false, up ? APPLYING : ConditionTypes.REASON_NOT_CONNECTED, Text.bounded(m,
                    Bounds.MESSAGE));
        }
        return new Wanted(true, SYNCHRONIZED, Text.bounded("applied " + applied, Bounds.MESSAGE));
    }

    /** Whether {@code w} differs from what was reported last time the caller wrote (for logs and events). */
    public static boolean differs(Wanted a, Wanted b) {
        return !Objects.equals(a, b);
    }
}
