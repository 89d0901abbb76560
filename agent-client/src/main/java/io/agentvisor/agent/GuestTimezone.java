package io.agentvisor.agent;

/** guest-get-timezone: the zone name (may be null) and the offset from UTC in seconds. */
public record GuestTimezone(String zone, int offsetSeconds) {
}
