package io.agentvisor.api.v1alpha1;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Kubernetes (Go) duration strings such as {@code 10s}, {@code 2m}, {@code 1h30m}. */
public final class Durations {
    private static final Pattern WHOLE = Pattern.compile("([0-9]+(?:\\.[0-9]+)?(?:ns|us|µs|ms|s|m|h))+");
    private static final Pattern PART = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ns|us|µs|ms|s|m|h)");

    private Durations() {
    }

    /**
     * Parses a non-negative Go duration.
     *
     * @throws IllegalArgumentException naming the field when the text is not a duration
     */
    public static Duration parse(String text, String field) {
        if (text == null || !WHOLE.matcher(text).matches()) {
            throw new IllegalArgumentException(field + ": \"" + text + "\" is not a duration (e.g. 10s, 2m, 1h30m)");
        }
        BigDecimal nanos = BigDecimal.ZERO;
        Matcher m = PART.matcher(text);
        while (m.find()) {
            BigDecimal n = new BigDecimal(m.group(1));
            long unit;
            switch (m.group(2)) {
                case "ns":
                    unit = 1L;
                    break;
                case "us":
                case "µs":
                    unit = 1_000L;
                    break;
                case "ms":
                    unit = 1_000_000L;
                    break;
                case "s":
                    unit = 1_000_000_000L;
                    break;
                case "m":
                    unit = 60_000_000_000L;
                    break;
                default:
                    unit = 3_600_000_000_000L;
                    break;
            }
            nanos = nanos.add(n.multiply(BigDecimal.valueOf(unit)));
        }
        return Duration.ofNanos(nanos.longValueExact());
    }

    /** Like {@link #parse} but the duration must be positive. */
    public static Duration parsePositive(String text, String field) {
        Duration d = parse(text, field);
        if (d.isZero()) {
            throw new IllegalArgumentException(field + ": \"" + text + "\" must be a positive duration");
        }
        return d;
    }
}
