package io.agentvisor.agent;

import java.util.Map;
import java.util.Set;

/**
 * How one agent connection starts out. Everything here can also be changed later on the live
 * {@link GuestAgent}, except the reply cap.
 *
 * @param responseTimeout  the VM's timeout (libvirt semantics)
 * @param maxReplyBytes    the longest reply line accepted; longer is an agent error (libvirt: 10 MiB)
 * @param commandTimeouts  per-command overrides of the command wait (e.g. a longer one for guest-get-fsinfo)
 * @param blockedCommands  commands refused locally, never sent
 */
public record AgentOptions(ResponseTimeout responseTimeout, int maxReplyBytes,
                           Map<String, ResponseTimeout> commandTimeouts, Set<String> blockedCommands) {

    public static final int DEFAULT_MAX_REPLY_BYTES = 10 * 1024 * 1024;

    public AgentOptions {
        if (responseTimeout == null) {
            throw new IllegalArgumentException("responseTimeout is required");
        }
        if (maxReplyBytes < 1024) {
            throw new IllegalArgumentException("maxReplyBytes must be at least 1024, not " + maxReplyBytes);
        }
        commandTimeouts = Map.copyOf(commandTimeouts);
        blockedCommands = Set.copyOf(blockedCommands);
    }

    public static AgentOptions defaults() {
        return new AgentOptions(ResponseTimeout.DEFAULT, DEFAULT_MAX_REPLY_BYTES, Map.of(), Set.of());
    }

    public AgentOptions withResponseTimeout(ResponseTimeout t) {
        return new AgentOptions(t, maxReplyBytes, commandTimeouts, blockedCommands);
    }

    public AgentOptions withMaxReplyBytes(int bytes) {
        return new AgentOptions(responseTimeout, bytes, commandTimeouts, blockedCommands);
    }

    public AgentOptions withCommandTimeouts(Map<String, ResponseTimeout> overrides) {
        return new AgentOptions(responseTimeout, maxReplyBytes, overrides, blockedCommands);
    }

    public AgentOptions withBlockedCommands(Set<String> blocked) {
        return new AgentOptions(responseTimeout, maxReplyBytes, commandTimeouts, blocked);
    }
}
