package io.agentvisor.driver.poll;

import io.agentvisor.api.v1alpha1.PollGroup;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentvisor.agent.ResponseTimeout;
import io.agentvisor.api.v1alpha1.AgentTuning;
import io.agentvisor.driver.qemu.VmPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The agent settings of one VM as applied on the node (from status.agentPolicy). Kept on disk next to the QEMU
 * record so a restarted driver applies them to the adopted VM before it can reach the API again, as libvirt keeps
 * the timeout in the domain's status XML.
 *
 * @param responseTimeout   libvirt integer (-2 Block, -1 Default, 0 NoWait, N seconds)
 * @param commandTimeouts   per-command overrides, libvirt integers
 * @param pollIntervals     seconds per group key (missing: the group's default)
 * @param unresponsiveAfter consecutive timeouts before AgentResponsive turns False
 */
public record AgentSettings(boolean enabled, int responseTimeout, Map<String, Integer> commandTimeouts,
        Set<String> blockedCommands, Map<String, Long> pollIntervals, int unresponsiveAfter) {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Until the operator resolved a policy: the product default (bounded 5 s, never Block). */
    public static final AgentSettings DEFAULTS = new AgentSettings(true, ResponseTimeout.DEFAULT.value(), Map.of(),
            Set.of(), Map.of(), AgentTuning.DEFAULT_UNRESPONSIVE_AFTER);

    public AgentSettings {
        ResponseTimeout.of(responseTimeout, "responseTimeout");
        commandTimeouts = Map.copyOf(new TreeMap<>(commandTimeouts == null ? Map.of() : commandTimeouts));
        blockedCommands = Set.copyOf(new TreeSet<>(blockedCommands == null ? Set.of() : blockedCommands));
        pollIntervals = Map.copyOf(pollIntervals == null ? Map.of() : pollIntervals);
        unresponsiveAfter = Math.max(1, unresponsiveAfter);
    }

    public Map<PollGroup, Duration> intervals() {
        Map<PollGroup, Duration> m = new EnumMap<>(PollGroup.class);
        for (PollGroup g : PollGroup.values()) {
            Long s = pollIntervals.get(g.key);
            m.put(g, s != null && s > 0 ? Duration.ofSeconds(s) : g.defaultInterval);
        }
        return m;
    }

    public boolean blocked(String command) {
        return blockedCommands.contains(command);
    }

    public void write(Path file) throws IOException {
        VmPaths.writeAtomically(file, JSON.writeValueAsBytes(this));
    }

    public static Optional<AgentSettings> read(Path file) {
        try {
            return Optional.of(JSON.readValue(Files.readAllBytes(file), AgentSettings.class));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            // a damaged file must not keep the VM from being adopted; the API has the truth
            return Optional.empty();
        }
    }

    /** For messages: the groups with their effective intervals. */
    public List<String> describeIntervals() {
        return intervals().entrySet().stream().map(e -> e.getKey().key + "=" + e.getValue().toSeconds() + "s").toList();
    }
}
