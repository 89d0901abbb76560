package io.agentvisor.agent;

import io.agentvisor.agent.AgentOutcome.CommandError;
import io.agentvisor.agent.AgentOutcome.Success;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;

/**
 * Everything an agent can tell about its guest, like {@code virsh guestinfo}: parts the agent does not offer
 * (unknown, disabled with {@code qemu-ga -b}, blocked locally, or answered with a command error) are null and
 * listed in {@link #unavailable} with the reason, instead of failing the whole.
 *
 * @param unavailable command name → why its part is missing
 */
public record GuestInfo(GuestAgentInfo agent, GuestOsInfo os, String hostName, GuestTimezone timezone,
                        List<GuestUser> users, List<GuestFilesystem> filesystems,
                        List<GuestNetworkInterface> interfaces, Instant time, Map<String, String> unavailable) {

    public GuestInfo {
        unavailable = Collections.unmodifiableMap(new LinkedHashMap<>(unavailable)); // keeps the asking order
    }

    /**
     * Asks guest-info first, then each part the agent offers, one after the other so that each call gets its
     * own full timeout. Fails as a whole (with that outcome) only if guest-info fails or the agent stops
     * answering (not responding, agent error, not connected): those mean the agent as a whole is unusable.
     */
    static CompletableFuture<AgentOutcome<GuestInfo>> collect(GuestAgent agent) {
        return agent.info().thenCompose(info -> {
            if (!(info instanceof Success<GuestAgentInfo> ok)) {
                return CompletableFuture.completedFuture(info.map(x -> (GuestInfo) null));
            }
            Builder b = new Builder(agent, ok.result());
            return b.part(GuestCommands.osInfo(), (g, v) -> g.withOs(v))
                    .thenCompose(x -> b.part(GuestCommands.hostName(), (g, v) -> g.withHostName(v)))
                    .thenCompose(x -> b.part(GuestCommands.timezone(), (g, v) -> g.withTimezone(v)))
                    .thenCompose(x -> b.part(GuestCommands.users(), (g, v) -> g.withUsers(v)))
                    .thenCompose(x -> b.part(GuestCommands.fsInfo(), (g, v) -> g.withFilesystems(v)))
                    .thenCompose(x -> b.part(GuestCommands.networkInterfaces(), (g, v) -> g.withInterfaces(v)))
                    .thenCompose(x -> b.part(GuestCommands.time(), (g, v) -> g.withTime(v)))
                    .thenApply(x -> b.result());
        });
    }

    private GuestInfo withOs(GuestOsInfo v) {
        return new GuestInfo(agent, v, hostName, timezone, users, filesystems, interfaces, time, unavailable);
    }

    private GuestInfo withHostName(String v) {
        return new GuestInfo(agent, os, v, timezone, users, filesystems, interfaces, time, unavailable);
    }

    private GuestInfo withTimezone(GuestTimezone v) {
        return new GuestInfo(agent, os, hostName, v, users, filesystems, interfaces, time, unavailable);
    }

    private GuestInfo withUsers(List<GuestUser> v) {
        return new GuestInfo(agent, os, hostName, timezone, v, filesystems, interfaces, time, unavailable);
    }

    private GuestInfo withFilesystems(List<GuestFilesystem> v) {
        return new GuestInfo(agent, os, hostName, timezone, users, v, interfaces, time, unavailable);
    }

    private GuestInfo withInterfaces(List<GuestNetworkInterface> v) {
        return new GuestInfo(agent, os, hostName, timezone, users, filesystems, v, time, unavailable);
    }

    private GuestInfo withTime(Instant v) {
        return new GuestInfo(agent, os, hostName, timezone, users, filesystems, interfaces, v, unavailable);
    }

    /** Accumulates parts; the first whole-agent failure stops the collection. */
    private static final class Builder {
        private final GuestAgent agent;
        private GuestInfo info;
        private final Map<String, String> unavailable = new LinkedHashMap<>();
        private AgentOutcome<?> failure;

        Builder(GuestAgent agent, GuestAgentInfo agentInfo) {
            this.agent = agent;
            this.info = new GuestInfo(agentInfo, null, null, null, null, null, null, null, Map.of());
        }

        <T> CompletableFuture<Void> part(AgentCommand<T> cmd, BiFunction<GuestInfo, T, GuestInfo> set) {
            String name = cmd.name();
            String why = failure != null ? "not asked: the agent failed earlier"
                    : agent.blockedCommands().contains(name) ? "blocked for this guest"
                    : info.agent().unavailableReason(name);
            if (why != null) {
                if (failure == null) {
                    unavailable.put(name, why);
                }
                return CompletableFuture.completedFuture(null);
            }
            return agent.call(cmd).thenAccept(o -> {
                if (o instanceof Success<T> s) {
                    info = set.apply(info, s.result());
                } else if (o instanceof CommandError<T> e) {
                    unavailable.put(name, e.errorClass() + ": " + e.description());
                } else {
                    failure = o;
                }
            });
        }

        AgentOutcome<GuestInfo> result() {
            if (failure != null) {
                return failure.map(x -> (GuestInfo) null);
            }
            GuestInfo i = info;
            return new Success<>(new GuestInfo(i.agent, i.os, i.hostName, i.timezone, i.users, i.filesystems,
                    i.interfaces, i.time, unavailable));
        }
    }
}
