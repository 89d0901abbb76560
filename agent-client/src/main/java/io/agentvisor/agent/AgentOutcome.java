package io.agentvisor.agent;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;

/**
 * The result of one guest agent call. Failures are values, not exceptions: each kind is a distinct state
 * with a one-line {@link #message()} a user understands.
 */
public sealed interface AgentOutcome<T>
        permits AgentOutcome.Success, AgentOutcome.CommandError, AgentOutcome.NotResponding,
                AgentOutcome.AgentError, AgentOutcome.NotConnected {

    /** A one-line message for a user. */
    String message();

    default boolean isSuccess() {
        return this instanceof Success;
    }

    /** The reply value; throws {@link IllegalStateException} with {@link #message()} unless a success. */
    default T value() {
        if (this instanceof Success<T> s) {
            return s.result();
        }
        throw new IllegalStateException(message());
    }

    /** Maps a success's value; failures carry no value and pass through unchanged. */
    @SuppressWarnings("unchecked")
    default <R> AgentOutcome<R> map(Function<? super T, ? extends R> f) {
        if (this instanceof Success<T> s) {
            return new Success<>(f.apply(s.result()));
        }
        return (AgentOutcome<R>) this;
    }

    /** The agent answered with {@code {"return": …}}. */
    record Success<T>(T result) implements AgentOutcome<T> {
        @Override
        public String message() {
            return "ok";
        }
    }

    /**
     * The agent answered with {@code {"error": …}} (e.g. CommandNotFound for a disabled command), or the
     * command was refused locally because it is blocked ({@link #BLOCKED}).
     */
    record CommandError<T>(String command, String errorClass, String description) implements AgentOutcome<T> {
        /** The class of a command Agentvisor refused to send because the caller blocked it. */
        public static final String BLOCKED = "CommandBlocked";

        public boolean isBlocked() {
            return BLOCKED.equals(errorClass);
        }

        /** True if the agent does not offer the command (unknown to it, or disabled with qemu-ga -b). */
        public boolean isNotFound() {
            return "CommandNotFound".equals(errorClass);
        }

        @Override
        public String message() {
            return "guest agent command " + command + " failed: " + errorClass + ": " + oneLine(description);
        }
    }

    /** Where a call was when its time ran out. */
    enum Phase {
        /** waiting behind an earlier call to the same agent */
        QUEUED,
        /** the guest-sync-delimited that precedes a command on a fresh or disturbed stream */
        SYNC,
        /** the command itself */
        COMMAND
    }

    /** No reply within the response timeout. The agent stays usable: the next call re-synchronises. */
    record NotResponding<T>(String command, Phase phase, Duration waited) implements AgentOutcome<T> {
        @Override
        public String message() {
            String within = "within " + seconds(waited);
            return switch (phase) {
                case QUEUED -> "guest agent is not responding: " + command + " waited " + seconds(waited)
                        + " behind an earlier command";
                case SYNC -> "guest agent is not responding: no reply to " + command + " " + within
                        + " (guest-sync got no answer)";
                case COMMAND -> "guest agent is not responding: no reply to " + command + " " + within;
            };
        }
    }

    /** The agent broke the protocol (EOF, reply over the cap, garbage); the connection was dropped. */
    record AgentError<T>(String command, String reason) implements AgentOutcome<T> {
        @Override
        public String message() {
            return "guest agent is not available due to an error: " + oneLine(reason);
        }
    }

    /** No connection could be made (no socket, refused, agent closed). */
    record NotConnected<T>(String command, String reason) implements AgentOutcome<T> {
        @Override
        public String message() {
            return "guest agent is not connected: " + oneLine(reason);
        }
    }

    /**
     * Waits for a call. Calls always complete normally and, unless the timeout is Block, within their
     * deadline; an interrupt abandons the wait (the call itself goes on) and reports not-connected.
     */
    static <T> AgentOutcome<T> await(CompletableFuture<AgentOutcome<T>> call) {
        Objects.requireNonNull(call);
        try {
            return call.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new NotConnected<>("?", "interrupted while waiting for the guest agent");
        } catch (ExecutionException e) {
            // GuestAgent never completes exceptionally; a caller-supplied stage might
            return new AgentError<>("?", "internal error: " + e.getCause());
        }
    }

    /** "3 s", "0.5 s": whole seconds where possible, as users set them (rounded down: deadlines never fire early). */
    private static String seconds(Duration d) {
        long tenths = d.toNanos() / 100_000_000L;
        return (tenths % 10 == 0 ? Long.toString(tenths / 10) : (tenths / 10) + "." + (tenths % 10)) + " s";
    }

    private static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        String t = s.replaceAll("[\\r\\n\\t]+", " ").strip();
        return t.length() > 300 ? t.substring(0, 300) + "…" : t;
    }
}
