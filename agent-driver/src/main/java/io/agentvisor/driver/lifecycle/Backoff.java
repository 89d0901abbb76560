package io.agentvisor.driver.lifecycle;

import java.time.Duration;

/**
 * CrashLoop-style restart delay (as the kubelet does for containers): the first restart after a run is
 * immediate, each further consecutive one waits twice as long from {@code initial} up to {@code max}; a run that
 * lasted at least {@code resetAfter} clears the count.
 */
public record Backoff(Duration initial, Duration max, Duration resetAfter) {
    public static final Backoff DEFAULT = new Backoff(Duration.ofSeconds(10), Duration.ofMinutes(5),
            Duration.ofMinutes(10));

    /** Delay before the next start after {@code consecutiveExits} exits in a row (1 = the first). */
    public Duration delay(int consecutiveExits) {
        if (consecutiveExits <= 1) {
            return Duration.ZERO;
        }
        int shift = Math.min(consecutiveExits - 2, 30);
        Duration d = initial.multipliedBy(1L << shift);
        return d.compareTo(max) > 0 ? max : d;
    }

    /** The consecutive-exit count after a run of {@code ranFor} ended. */
    public int afterExit(int consecutiveExits, Duration ranFor) {
        return ranFor.compareTo(resetAfter) >= 0 ? 1 : consecutiveExits + 1;
    }
}
