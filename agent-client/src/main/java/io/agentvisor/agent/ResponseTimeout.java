package io.agentvisor.agent;

import java.time.Duration;
import java.util.Optional;

/**
 * A guest agent response timeout with libvirt's meaning: {@code Block} (-2), {@code Default} (-1, 5 s),
 * {@code NoWait} (0) or N seconds. This type owns every "how long do we wait" rule of the agent protocol.
 */
public record ResponseTimeout(int value) {

    public static final ResponseTimeout BLOCK = new ResponseTimeout(-2);
    public static final ResponseTimeout DEFAULT = new ResponseTimeout(-1);
    public static final ResponseTimeout NO_WAIT = new ResponseTimeout(0);

    /** libvirt's QEMU_AGENT_WAIT_TIME: the Default wait and the cap of every guest-sync. */
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(5);
    /** guest-shutdown waits this long whatever the setting (libvirt's VIR_DOMAIN_QEMU_AGENT_COMMAND_SHUTDOWN). */
    public static final ResponseTimeout SHUTDOWN = new ResponseTimeout(60);

    public ResponseTimeout {
        if (value < -2) {
            throw new IllegalArgumentException("response timeout must be -2 (Block), -1 (Default), 0 (NoWait) "
                    + "or a number of seconds, not " + value);
        }
    }

    public static ResponseTimeout ofSeconds(int seconds) {
        return new ResponseTimeout(seconds);
    }

    /**
     * Parses "Block", "Default", "NoWait" (case-insensitive) or an integer ≥ -2.
     *
     * @throws IllegalArgumentException with a message fit for a user
     */
    public static ResponseTimeout parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty response timeout: use Block, Default, NoWait or seconds (-2..)");
        }
        String t = text.strip();
        switch (t.toLowerCase(java.util.Locale.ROOT)) {
            case "block": return BLOCK;
            case "default": return DEFAULT;
            case "nowait": return NO_WAIT;
            default: break;
        }
        int n;
        try {
            n = Integer.parseInt(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid response timeout '" + text
                    + "': use Block, Default, NoWait or an integer number of seconds >= -2");
        }
        if (n < -2) {
            throw new IllegalArgumentException("invalid response timeout " + n
                    + ": the smallest value is -2 (Block)");
        }
        return new ResponseTimeout(n);
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

    /** How long the guest-sync before a command waits: min(N, 5 s) for 0 ≤ N < 5, else 5 s. Never forever. */
    public Duration syncWait() {
        return value >= 0 && value < DEFAULT_WAIT.toSeconds() ? Duration.ofSeconds(value) : DEFAULT_WAIT;
    }

    /**
     * The sync wait of one call, as libvirt's qemuAgentGuestSync computes it: 5 s, lowered by the agent's
     * timeout and by the call's own (a per-command override or guest-shutdown's 60 s) when those are ≥ 0.
     */
    static Duration syncWait(ResponseTimeout agent, ResponseTimeout call) {
        Duration d = DEFAULT_WAIT;
        for (ResponseTimeout t : new ResponseTimeout[] {agent, call}) {
            if (t.value >= 0 && t.value < d.toSeconds()) {
                d = Duration.ofSeconds(t.value);
            }
        }
        return d;
    }

    /** The user-facing spelling: Block, Default, NoWait or the number of seconds. */
    @Override
    public String toString() {
        return switch (value) {
            case -2 -> "Block";
            case -1 -> "Default";
            case 0 -> "NoWait";
            default -> Integer.toString(value);
        };
    }
}
