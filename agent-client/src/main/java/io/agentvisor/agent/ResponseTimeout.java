package io.agentvisor.agent;

import java.time.Duration;
import java.util.Optional;

/**
 * A guest agent response timeout with libvirt's meaning: {@code Block} (-2), {@code Default} (-1, 5 s),
 * {@code NoWait} (0) or N seconds. The one vocabulary of the timeout: the API, the operator's configuration, the
 * driver and the CLI parse it with {@link #parse}, print it with {@link #toString} and keep libvirt's integer
 * ({@link #value}); every "how long do we wait" rule of the agent protocol is here too.
 */
public record ResponseTimeout(int value) {

    public static final ResponseTimeout BLOCK = new ResponseTimeout(-2);
    public static final ResponseTimeout DEFAULT = new ResponseTimeout(-1);
    public static final ResponseTimeout NO_WAIT = new ResponseTimeout(0);

    /** libvirt's QEMU_AGENT_WAIT_TIME: the Default wait and the cap of every guest-sync. */
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(5);
    /** guest-shutdown waits this long whatever the setting (libvirt's VIR_DOMAIN_QEMU_AGENT_COMMAND_SHUTDOWN). */
    public static final ResponseTimeout SHUTDOWN = new ResponseTimeout(60);

    private static final String FORMS = "use an integer >= -2 (seconds) or Block, Default, NoWait";

    /** @throws IllegalArgumentException when value is below -2, the only bound of a timeout */
    public ResponseTimeout {
        if (value < -2) {
            throw new IllegalArgumentException(value + " is below -2 (Block)");
        }
    }

    public static ResponseTimeout ofSeconds(int seconds) {
        return new ResponseTimeout(seconds);
    }

    /**
     * libvirt's integer as a timeout.
     *
     * @throws IllegalArgumentException {@code <field>: <reason>} when it is below -2
     */
    public static ResponseTimeout of(int value, String field) {
        try {
            return new ResponseTimeout(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ": " + e.getMessage());
        }
    }

    /**
     * Parses the forms the API accepts: {@code Block}, {@code Default}, {@code NoWait} or an integer ≥ -2
     * (surrounding blanks are ignored).
     *
     * @param field names the value in the error, e.g. {@code spec.responseTimeout} or {@code --timeout}
     * @throws IllegalArgumentException {@code <field>: <reason>}, fit for a user
     */
    public static ResponseTimeout parse(String text, String field) {
        String t = text == null ? "" : text.strip();
        if (t.isEmpty()) {
            throw new IllegalArgumentException(field + ": empty: " + FORMS);
        }
        switch (t) {
            case "Block": return BLOCK;
            case "Default": return DEFAULT;
            case "NoWait": return NO_WAIT;
            default: break;
        }
        if (!t.matches("-?[0-9]+")) {
            throw new IllegalArgumentException(field + ": \"" + t + "\" is not a timeout: " + FORMS);
        }
        try {
            return of(Integer.parseInt(t), field);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(field + ": " + t + " is too large");
        }
    }

    /**
     * A name only ({@code Block}, {@code Default}, {@code NoWait}): the string form of the API's int-or-string.
     *
     * @throws IllegalArgumentException {@code <field>: <reason>}
     */
    public static ResponseTimeout parseName(String text, String field) {
        if (text != null && text.strip().matches("-?[0-9]+")) {
            throw new IllegalArgumentException(field + ": \"" + text + "\" is not a timeout: " + FORMS
                    + " (a number without quotes)");
        }
        return parse(text, field);
    }

    public boolean isBlock() {
        return value == -2;
    }

    /** How long a command waits for its reply; empty means forever (Block). */
    public Optional<Duration> commandWait() {
        return switch (value) {
            case -2 -> Optional.empty();
            case -1 -> Optional.of(DEFAULT_WAIT);
            default -> Optional.of(Duration.ofSeconds(value));
        };
    }

    /**
     * How long the guest-sync before a command waits, as libvirt's qemuAgentGuestSync computes it from the VM's
     * (domain-wide) timeout alone: this value when 0 ≤ N &lt; 5, else 5 s (Block and Default included). A call's
     * own timeout (a per-command override, guest-shutdown's 60 s, an operation's own) never changes it.
     */
    public Duration syncWait() {
        return value >= 0 && value < DEFAULT_WAIT.toSeconds() ? Duration.ofSeconds(value) : DEFAULT_WAIT;
    }

    /** The one spelling for people: the API's names for -2, -1 and 0 (its string form), else seconds, e.g. 7s. */
    @Override
    public String toString() {
        return switch (value) {
            case -2 -> "Block";
            case -1 -> "Default";
            case 0 -> "NoWait";
            default -> value + "s";
        };
    }
}
