package io.agentvisor.agent;

import java.util.Locale;

/** guest-shutdown's {@code mode}. */
public enum ShutdownMode {
    POWERDOWN, REBOOT, HALT;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
