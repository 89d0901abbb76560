package io.agentvisor.driver.poll;

import io.agentvisor.api.v1alpha1.PollGroup;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * When each group is due, as plain state + pure rules (no threads, no clock of its own), so the rules can be
 * tested exactly:
 * <ul>
 * <li>A healthy agent: each group runs at its interval after its last answer.</li>
 * <li>A round that fails (timeout, agent error, not connected) stops there; the agent is then only probed, one
 * command per probe: at the users interval until the agent counts as unresponsive (so it is reported within
 * timeout × unresponsiveAfter plus one interval), then backing off by doubling up to {@link #MAX_PROBE_DELAY}.
 * Nothing else is sent to an agent that does not answer.</li>
 * <li>When a probe is answered, every group that failed or fell due meanwhile runs at once (fresh data after a
 * recovery), as KubeVirt's poller re-reads everything when the agent connects.</li>
 * <li>Until the agent has answered once (a guest still booting), a probe starts every
 * {@link #FIRST_CONTACT_PROBE_DELAY}, or at once when the last one took that long (it waited out its timeout): so
 * a guest-sync is nearly always waiting in the channel, and a booting guest's agent answers it as it comes up.</li>
 * </ul>
 */
public final class PollSchedule {
    public static final Duration MAX_PROBE_DELAY = Duration.ofSeconds(60);
    public static final Duration FIRST_CONTACT_PROBE_DELAY = Duration.ofSeconds(1);

    private final Map<PollGroup, Instant> nextDue = new EnumMap<>(PollGroup.class);
    private final Map<PollGroup, Instant> lastOk = new EnumMap<>(PollGroup.class);
    private Map<PollGroup, Duration> intervals;
    private int unresponsiveAfter;
    private int failedRounds;
    private Instant nextProbe;
    private boolean everAnswered;

    public PollSchedule(Map<PollGroup, Duration> intervals, int unresponsiveAfter, Instant now) {
        this.intervals = new EnumMap<>(intervals);
        this.unresponsiveAfter = unresponsiveAfter;
        for (PollGroup g : PollGroup.values()) {
            nextDue.put(g, now);
        }
    }

    /** True when the agent is only being probed (the last round failed). */
    public boolean probing() {
        return failedRounds > 0;
    }

    public int failedRounds() {
        return failedRounds;
    }

    /** Groups due now, in enum order; while probing: empty unless the probe is due (see {@link #probeDue}). */
    public List<PollGroup> due(Instant now) {
        List<PollGroup> due = new ArrayList<>();
        if (probing()) {
            return due;
        }
        for (PollGroup g : PollGroup.values()) {
            if (!nextDue.get(g).isAfter(now)) {
                due.add(g);
            }
        }
        return due;
    }

    public boolean probeDue(Instant now) {
        return probing() && !nextProbe.isAfter(now);
    }

    /** When something is next due. */
    public Instant nextWake() {
        if (probing()) {
            return nextProbe;
        }
        return nextDue.values().stream().min(Instant::compareTo).orElseThrow();
    }

    public void groupDone(PollGroup g, Instant now) {
        lastOk.put(g, now);
        nextDue.put(g, now.plus(intervals.get(g)));
    }

    /** The agent answered (a probe or any command): leave probing; failed and overdue groups are due now. */
    public void answered() {
        everAnswered = true;
        failedRounds = 0;
        nextProbe = null;
    }

    /** Something says the agent may answer now (the guest opened its agent channel): probe at once. */
    public void probeNow(Instant now) {
        if (probing()) {
            nextProbe = now;
        }
    }

    /** A round that started at {@code started} failed at {@code now}: probe only, from now on. */
    public void roundFailed(Instant now, Instant started) {
        failedRounds++;
        Duration usual = probeDelay(failedRounds, intervals.get(PollGroup.USERS), unresponsiveAfter);
        if (everAnswered || usual.compareTo(FIRST_CONTACT_PROBE_DELAY) < 0) {
            nextProbe = now.plus(usual);
        } else {
            Instant paced = started.plus(FIRST_CONTACT_PROBE_DELAY); // start to start: NoWait cannot spin
            nextProbe = paced.isAfter(now) ? paced : now;
        }
    }

    static Duration probeDelay(int failedRounds, Duration usersInterval, int unresponsiveAfter) {
        if (failedRounds < unresponsiveAfter) {
            return usersInterval;
        }
        Duration cap = usersInterval.compareTo(MAX_PROBE_DELAY) > 0 ? usersInterval : MAX_PROBE_DELAY;
        int shift = Math.min(failedRounds - unresponsiveAfter + 1, 20);
        Duration d = usersInterval.multipliedBy(1L << shift);
        return d.compareTo(cap) > 0 ? cap : d;
    }

    /** New intervals apply at once: a group whose new interval already elapsed since its last answer is due now. */
    public void setIntervals(Map<PollGroup, Duration> newIntervals, int newUnresponsiveAfter) {
        this.intervals = new EnumMap<>(newIntervals);
        this.unresponsiveAfter = newUnresponsiveAfter;
        for (PollGroup g : PollGroup.values()) {
            Instant ok = lastOk.get(g);
            if (ok != null) {
                nextDue.put(g, ok.plus(intervals.get(g)));
            }
        }
    }
}
