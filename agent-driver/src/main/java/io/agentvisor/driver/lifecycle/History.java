package io.agentvisor.driver.lifecycle;

/**
 * What the lifecycle decision needs to remember about past runs of one VM (persisted per VM uid, so a restarted
 * driver keeps Once's "already ran" and the back-off).
 *
 * @param starts           how many times QEMU was started for this VM
 * @param lastExit         why the last run ended; null if it never ended (or never started)
 * @param consecutiveExits exits counted for the back-off (see {@link Backoff#afterExit})
 * @param lastExitAtMs     wall clock of the last exit, 0 if none
 */
public record History(int starts, ExitReason lastExit, int consecutiveExits, long lastExitAtMs) {
    public static final History NEW = new History(0, null, 0, 0);

    public History started() {
        return new History(starts + 1, null, consecutiveExits, lastExitAtMs);
    }

    public History exited(ExitReason reason, long atMs, long ranForMs, Backoff backoff) {
        int n = reason == ExitReason.STOPPED ? 0
                : backoff.afterExit(consecutiveExits, java.time.Duration.ofMillis(Math.max(0, ranForMs)));
        return new History(starts, reason, n, atMs);
    }
}
