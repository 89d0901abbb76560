package io.agentvisor.agent;

import java.util.List;

/** guest-info: the agent's version and the commands it offers (disabled ones with {@code enabled=false}). */
public record GuestAgentInfo(String version, List<SupportedCommand> supportedCommands) {

    public GuestAgentInfo {
        supportedCommands = GuestList.copyOf(supportedCommands);
    }

    public record SupportedCommand(String name, boolean enabled, boolean successResponse) {
    }

    /** True if the agent lists the command and has not disabled it. */
    public boolean supports(String command) {
        return supportedCommands.stream().anyMatch(c -> c.name().equals(command) && c.enabled());
    }

    /** Why a command cannot be used, or null if it can: "disabled" or "not supported". */
    public String unavailableReason(String command) {
        for (SupportedCommand c : supportedCommands) {
            if (c.name().equals(command)) {
                return c.enabled() ? null : "disabled in the agent";
            }
        }
        return "not supported by the agent";
    }
}
