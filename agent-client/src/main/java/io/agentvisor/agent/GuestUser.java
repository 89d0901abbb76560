package io.agentvisor.agent;

import java.time.Instant;

/** One logged-in user from guest-get-users; {@code domain} is set by Windows agents only. */
public record GuestUser(String user, String domain, Instant loginTime) {
}
