package io.agentvisor.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** kubectl-style ages ("5m", "2d") from RFC 3339 timestamps. */
final class Ages {
    private Ages() {
    }

    static String since(String timestamp, Instant now) {
        if (timestamp == null) {
            return "-";
        }
        try {
            return human(Duration.between(Instant.parse(timestamp), now));
        } catch (DateTimeParseException e) {
            return "?";
        }
    }

    static String human(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 120) {
            return s + "s";
        } else if (s < 2 * 3600) {
            return s / 60 + "m";
        } else if (s < 2 * 86400) {
            return s / 3600 + "h";
        }
        return s / 86400 + "d";
    }
}
