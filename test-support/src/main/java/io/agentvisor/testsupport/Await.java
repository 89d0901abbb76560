package io.agentvisor.testsupport;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * How tests and fixtures wait for something to happen: poll a condition (Awaitility) with a bound, and fail
 * naming what was awaited, instead of sleeping for a guessed time.
 */
public final class Await {
    private static final Duration POLL = Duration.ofMillis(20);

    private Await() {
    }

    /**
     * Polls {@code get} until its value satisfies {@code ok} and returns that value; exceptions count as "not yet".
     *
     * @throws org.awaitility.core.ConditionTimeoutException naming {@code what} after {@code max}
     */
    public static <T> T until(String what, Duration max, Supplier<T> get, Predicate<T> ok) {
        return await(what).atMost(max).pollDelay(Duration.ZERO).pollInterval(POLL).ignoreExceptions()
                .until(get::get, ok::test);
    }

    /** Polls {@code condition} until it holds. */
    public static void until(String what, Duration max, BooleanSupplier condition) {
        await(what).atMost(max).pollDelay(Duration.ZERO).pollInterval(POLL).ignoreExceptions()
                .until(condition::getAsBoolean);
    }

    /**
     * Checks that {@code condition} holds for the whole of {@code window} (polled), e.g. that nothing writes while
     * a system should be idle.
     */
    public static void holdsFor(String what, Duration window, BooleanSupplier condition) {
        await(what).during(window).atMost(window.plusSeconds(5)).pollDelay(Duration.ZERO).pollInterval(POLL)
                .until(condition::getAsBoolean);
    }
}
