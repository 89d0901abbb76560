package io.agentvisor.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The typed guest agent commands. Parsers tolerate missing fields and older agents: absent strings and
 * numbers become null, absent lists become empty; only a reply of the wrong JSON shape is an error.
 */
public final class GuestCommands {
    private GuestCommands() {
    }

    public static final String PING = "guest-ping";
    public static final String INFO = "guest-info";
    public static final String OS_INFO = "guest-get-osinfo";
    public static final String HOST_NAME = "guest-get-host-name";
    public static final String TIMEZONE = "guest-get-timezone";
    public static final String USERS = "guest-get-users";
    public static final String FS_INFO = "guest-get-fsinfo";
    public static final String NETWORK_INTERFACES = "guest-network-get-interfaces";
    public static final String TIME = "guest-get-time";
    public static final String SHUTDOWN = "guest-shutdown";

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    // built once (commands are immutable): serialising a request on every call costs more than a ping's syscalls
    private static final AgentCommand<Void> PING_COMMAND =
            simple(PING, GuestCommands::parsePing);
    private static final AgentCommand<GuestAgentInfo> INFO_COMMAND =
            simple(INFO, GuestCommands::parseInfo);
    private static final AgentCommand<GuestOsInfo> OS_INFO_COMMAND =
            simple(OS_INFO, GuestCommands::parseOsInfo);
    private static final AgentCommand<String> HOST_NAME_COMMAND =
            simple(HOST_NAME, GuestCommands::parseHostName);
    private static final AgentCommand<GuestTimezone> TIMEZONE_COMMAND =
            simple(TIMEZONE, GuestCommands::parseTimezone);
    private static final AgentCommand<List<GuestUser>> USERS_COMMAND =
            simple(USERS, GuestCommands::parseUsers);
    private static final AgentCommand<List<GuestFilesystem>> FS_INFO_COMMAND =
            simple(FS_INFO, GuestCommands::parseFsInfo);
    private static final AgentCommand<List<GuestNetworkInterface>> NETWORK_INTERFACES_COMMAND =
            simple(NETWORK_INTERFACES, GuestCommands::parseNetworkInterfaces);
    private static final AgentCommand<Instant> TIME_COMMAND =
            simple(TIME, GuestCommands::parseTime);

    public static AgentCommand<Void> ping() {
        return PING_COMMAND;
    }

    private static Void parsePing(JsonNode r) {
        return null;
    }

    public static AgentCommand<GuestAgentInfo> info() {
        return INFO_COMMAND;
    }

    private static GuestAgentInfo parseInfo(JsonNode r) {
        List<GuestAgentInfo.SupportedCommand> cmds = new ArrayList<>();
        for (JsonNode c : array(r, "supported_commands")) {
            String name = text(c, "name");
            if (name != null) {
                cmds.add(new GuestAgentInfo.SupportedCommand(name, c.path("enabled").asBoolean(true),
                        c.path("success-response").asBoolean(true)));
            }
        }
        return new GuestAgentInfo(text(object(r), "version"), cmds);
    }

    public static AgentCommand<GuestOsInfo> osInfo() {
        return OS_INFO_COMMAND;
    }

    private static GuestOsInfo parseOsInfo(JsonNode r) {
        JsonNode o = object(r);
        return new GuestOsInfo(text(o, "id"), text(o, "name"), text(o, "pretty-name"), text(o, "version"),
                text(o, "version-id"), text(o, "variant"), text(o, "variant-id"), text(o, "kernel-release"),
                text(o, "kernel-version"), text(o, "machine"));
    }

    public static AgentCommand<String> hostName() {
        return HOST_NAME_COMMAND;
    }

    private static String parseHostName(JsonNode r) {
        return text(object(r), "host-name");
    }

    public static AgentCommand<GuestTimezone> timezone() {
        return TIMEZONE_COMMAND;
    }

    private static GuestTimezone parseTimezone(JsonNode r) {
        return new GuestTimezone(text(object(r), "zone"), r.path("offset").asInt(0));
    }

    public static AgentCommand<List<GuestUser>> users() {
        return USERS_COMMAND;
    }

    private static List<GuestUser> parseUsers(JsonNode r) {
        List<GuestUser> users = new ArrayList<>();
        for (JsonNode u : list(r)) {
            JsonNode t = u.get("login-time");
            Instant login = t != null && t.isNumber()
                    ? Instant.ofEpochSecond(0, Math.round(t.asDouble() * 1e9)) : null;
            users.add(new GuestUser(text(u, "user"), text(u, "domain"), login));
        }
        return List.copyOf(users);
    }

    public static AgentCommand<List<GuestFilesystem>> fsInfo() {
        return FS_INFO_COMMAND;
    }

    private static List<GuestFilesystem> parseFsInfo(JsonNode r) {
        List<GuestFilesystem> fss = new ArrayList<>();
        for (JsonNode f : list(r)) {
            List<GuestFilesystem.Disk> disks = new ArrayList<>();
            for (JsonNode d : array(f, "disk")) {
                disks.add(new GuestFilesystem.Disk(text(d, "dev"), text(d, "serial"), text(d, "bus-type"),
                        integer(d, "bus"), integer(d, "target"), integer(d, "unit")));
            }
            fss.add(new GuestFilesystem(text(f, "name"), text(f, "mountpoint"), text(f, "type"),
                    number(f, "used-bytes"), number(f, "total-bytes"), disks));
        }
        return List.copyOf(fss);
    }

    public static AgentCommand<List<GuestNetworkInterface>> networkInterfaces() {
        return NETWORK_INTERFACES_COMMAND;
    }

    private static List<GuestNetworkInterface> parseNetworkInterfaces(JsonNode r) {
        List<GuestNetworkInterface> ifs = new ArrayList<>();
        for (JsonNode i : list(r)) {
            List<GuestNetworkInterface.IpAddress> ips = new ArrayList<>();
            for (JsonNode a : array(i, "ip-addresses")) {
                ips.add(new GuestNetworkInterface.IpAddress(text(a, "ip-address-type"), text(a, "ip-address"),
                        a.path("prefix").asInt(0)));
            }
            ifs.add(new GuestNetworkInterface(text(i, "name"), text(i, "hardware-address"), ips));
        }
        return List.copyOf(ifs);
    }

    /** guest-get-time: the guest's clock (nanoseconds since the epoch on the wire). */
    public static AgentCommand<Instant> time() {
        return TIME_COMMAND;
    }

    private static Instant parseTime(JsonNode r) {
        if (!r.canConvertToLong()) {
            throw new IllegalArgumentException("expected an integer, got " + r.getNodeType());
        }
        long ns = r.asLong();
        return Instant.ofEpochSecond(Math.floorDiv(ns, 1_000_000_000L), Math.floorMod(ns, 1_000_000_000L));
    }

    /**
     * guest-shutdown. The agent sends no reply on success. As in libvirt, the call succeeds when QEMU reports the
     * event the mode causes ({@link GuestAgent#vmEvent}: SHUTDOWN for powerdown and halt, RESET for reboot) or
     * when the guest closes its end of the agent channel while it waits; also when the agent's socket reaches
     * EOF (QEMU exited, the only sign there is without QMP). It fails if the agent answers with an error, and
     * waits a fixed 60 s whatever the timeout setting.
     */
    public static AgentCommand<Void> shutdown(ShutdownMode mode) {
        ObjectNode req = request(SHUTDOWN);
        req.putObject("arguments").put("mode", mode.wireName());
        return new AgentCommand<>(req, r -> null, ResponseTimeout.SHUTDOWN, awaits(mode));
    }

    private static VmEvent awaits(ShutdownMode mode) {
        return mode == ShutdownMode.REBOOT ? VmEvent.RESET : VmEvent.SHUTDOWN;
    }

    /**
     * Any command, as {@code virsh qemu-agent-command} sends it; the result is the reply's {@code return}
     * member. guest-shutdown keeps its special rules.
     *
     * @throws IllegalArgumentException if the text is not a JSON object with a string "execute"
     */
    public static AgentCommand<JsonNode> raw(String json) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("the command must be a JSON object like {\"execute\":\"guest-ping\"}");
        }
        return raw((ObjectNode) node);
    }

    /** Like {@link #raw(String)} for an already parsed request (copied). */
    public static AgentCommand<JsonNode> raw(ObjectNode request) {
        ObjectNode req = request.deepCopy();
        if (!SHUTDOWN.equals(req.path("execute").asText())) {
            return new AgentCommand<>(req, Function.identity(), null, null);
        }
        // qemu-ga's default mode is powerdown; an unknown mode is the agent's to reject
        boolean reboot = ShutdownMode.REBOOT.wireName().equals(req.path("arguments").path("mode").asText());
        return new AgentCommand<>(req, Function.identity(), ResponseTimeout.SHUTDOWN,
                reboot ? VmEvent.RESET : VmEvent.SHUTDOWN);
    }

    private static <T> AgentCommand<T> simple(String name, Function<JsonNode, T> parser) {
        return new AgentCommand<>(request(name), parser, null, null);
    }

    private static ObjectNode request(String name) {
        return NODES.objectNode().put("execute", name);
    }

    private static JsonNode object(JsonNode r) {
        if (!r.isObject()) {
            throw new IllegalArgumentException("expected an object, got " + r.getNodeType());
        }
        return r;
    }

    private static Iterable<JsonNode> list(JsonNode r) {
        if (!r.isArray()) {
            throw new IllegalArgumentException("expected an array, got " + r.getNodeType());
        }
        return r;
    }

    private static Iterable<JsonNode> array(JsonNode o, String field) {
        JsonNode a = o.get(field);
        return a != null && a.isArray() ? a : List.of();
    }

    private static String text(JsonNode o, String field) {
        JsonNode v = o.get(field);
        return v != null && v.isValueNode() && !v.isNull() ? v.asText() : null;
    }

    private static Long number(JsonNode o, String field) {
        JsonNode v = o.get(field);
        return v != null && v.canConvertToLong() ? v.asLong() : null;
    }

    private static Integer integer(JsonNode o, String field) {
        JsonNode v = o.get(field);
        return v != null && v.canConvertToInt() ? v.asInt() : null;
    }
}
