package io.agentvisor.agent;

import java.util.Locale;
import io.agentvisor.agent.AgentCommand.VmEvent;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.io.IOException;

/**
 * The typed guest agent commands. Their replies are read bounded, straight from the token stream
 * ({@link BoundedReader}): at most 64 items of any list (a {@link GuestList}, which says how many the guest
 * reported), 1024 characters of any string (a cut one ends in U+2026), 16 Ki characters and items per reply,
 * control and bidi characters replaced by U+FFFD. Readers tolerate missing fields and older agents: absent or
 * wrongly typed strings and numbers become null, lists empty; only a reply of the wrong JSON type at its top is an
 * error. Raw commands ({@link #raw}) get the reply's exact JSON tree.
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

    public static final String FSFREEZE_STATUS = "guest-fsfreeze-status";

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    // built once (commands are immutable): serialising a request on every call costs more than a ping's syscalls
    private static final AgentCommand<Void> PING_COMMAND =
            simple(PING, GuestCommands::readPing);
    private static final AgentCommand<GuestAgentInfo> INFO_COMMAND =
            simple(INFO, GuestCommands::readInfo);
    private static final AgentCommand<GuestOsInfo> OS_INFO_COMMAND =
            simple(OS_INFO, GuestCommands::readOsInfo);
    private static final AgentCommand<String> HOST_NAME_COMMAND =
            simple(HOST_NAME, GuestCommands::readHostName);
    private static final AgentCommand<GuestTimezone> TIMEZONE_COMMAND =
            simple(TIMEZONE, GuestCommands::readTimezone);
    private static final AgentCommand<List<GuestUser>> USERS_COMMAND =
            simple(USERS, GuestCommands::readUsers);
    private static final AgentCommand<List<GuestFilesystem>> FS_INFO_COMMAND =
            simple(FS_INFO, GuestCommands::readFsInfo);
    private static final AgentCommand<List<GuestNetworkInterface>> NETWORK_INTERFACES_COMMAND =
            simple(NETWORK_INTERFACES, GuestCommands::readNetworkInterfaces);
    private static final AgentCommand<Instant> TIME_COMMAND =
            simple(TIME, GuestCommands::readTime);
    private static final AgentCommand<String> FSFREEZE_STATUS_COMMAND =
            simple(FSFREEZE_STATUS, GuestCommands::readFsfreezeStatus);

    public static AgentCommand<Void> ping() {
        return PING_COMMAND;
    }

    private static Void readPing(BoundedReader r) throws IOException {
        r.skip();
        return null;
    }

    public static AgentCommand<GuestAgentInfo> info() {
        return INFO_COMMAND;
    }

    private static GuestAgentInfo readInfo(BoundedReader r) throws IOException {
        String[] version = new String[1];
        List<GuestAgentInfo.SupportedCommand> cmds = new ArrayList<>();
        GuestList<GuestAgentInfo.SupportedCommand>[] list = new GuestList[1];
        r.object(true, f -> {
            switch (f) {
                case "version" -> version[0] = r.string();
                case "supported_commands" -> list[0] = r.list(false, c -> {
                    String[] name = new String[1];
                    boolean[] flags = {true, true};
                    r.object(false, g -> {
                        switch (g) {
                            case "name" -> name[0] = r.string();
                            case "enabled" -> flags[0] = r.bool(true);
                            case "success-response" -> flags[1] = r.bool(true);
                            default -> r.skip();
                        }
                    });
                    return name[0] == null ? null
                            : new GuestAgentInfo.SupportedCommand(name[0], flags[0], flags[1]);
                });
                default -> r.skip();
            }
        });
        return new GuestAgentInfo(version[0], list[0] == null ? GuestList.of(cmds, 0) : list[0]);
    }

    public static AgentCommand<GuestOsInfo> osInfo() {
        return OS_INFO_COMMAND;
    }

    private static final List<String> OS_FIELDS = List.of("id", "name", "pretty-name", "version", "version-id",
            "variant", "variant-id", "kernel-release", "kernel-version", "machine");

    private static GuestOsInfo readOsInfo(BoundedReader r) throws IOException {
        String[] v = new String[OS_FIELDS.size()];
        r.object(true, f -> {
            int i = OS_FIELDS.indexOf(f);
            if (i >= 0) {
                v[i] = r.string();
            } else {
                r.skip();
            }
        });
        return new GuestOsInfo(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]);
    }

    public static AgentCommand<String> hostName() {
        return HOST_NAME_COMMAND;
    }

    private static String readHostName(BoundedReader r) throws IOException {
        String[] name = new String[1];
        r.object(true, f -> {
            if ("host-name".equals(f)) {
                name[0] = r.string();
            } else {
                r.skip();
            }
        });
        return name[0];
    }

    public static AgentCommand<GuestTimezone> timezone() {
        return TIMEZONE_COMMAND;
    }

    private static GuestTimezone readTimezone(BoundedReader r) throws IOException {
        String[] zone = new String[1];
        int[] offset = new int[1];
        r.object(true, f -> {
            switch (f) {
                case "zone" -> zone[0] = r.string();
                case "offset" -> {
                    Integer o = r.intValue();
                    offset[0] = o == null ? 0 : o;
                }
                default -> r.skip();
            }
        });
        return new GuestTimezone(zone[0], offset[0]);
    }

    public static AgentCommand<List<GuestUser>> users() {
        return USERS_COMMAND;
    }

    private static List<GuestUser> readUsers(BoundedReader r) throws IOException {
        return r.list(true, u -> {
            String[] s = new String[2];
            Instant[] login = new Instant[1];
            boolean isObject = r.object(false, f -> {
                switch (f) {
                    case "user" -> s[0] = r.string();
                    case "domain" -> s[1] = r.string();
                    case "login-time" -> {
                        Double t = r.doubleValue();
                        login[0] = t == null ? null : Instant.ofEpochSecond(0, Math.round(t * 1e9));
                    }
                    default -> r.skip();
                }
            });
            return isObject ? new GuestUser(s[0], s[1], login[0]) : null;
        });
    }

    public static AgentCommand<List<GuestFilesystem>> fsInfo() {
        return FS_INFO_COMMAND;
    }

    private static List<GuestFilesystem> readFsInfo(BoundedReader r) throws IOException {
        return r.list(true, x -> {
            String[] s = new String[3];
            Long[] bytes = new Long[2];
            List<List<GuestFilesystem.Disk>> disks = new ArrayList<>(List.of(GuestList.empty()));
            boolean isObject = r.object(false, f -> {
                switch (f) {
                    case "name" -> s[0] = r.string();
                    case "mountpoint" -> s[1] = r.string();
                    case "type" -> s[2] = r.string();
                    case "used-bytes" -> bytes[0] = r.longValue();
                    case "total-bytes" -> bytes[1] = r.longValue();
                    case "disk" -> disks.set(0, r.list(false, GuestCommands::readDisk));
                    default -> r.skip();
                }
            });
            return isObject ? new GuestFilesystem(s[0], s[1], s[2], bytes[0], bytes[1], disks.get(0)) : null;
        });
    }

    private static GuestFilesystem.Disk readDisk(BoundedReader r) throws IOException {
        String[] s = new String[3];
        Integer[] n = new Integer[3];
        boolean isObject = r.object(false, f -> {
            switch (f) {
                case "dev" -> s[0] = r.string();
                case "serial" -> s[1] = r.string();
                case "bus-type" -> s[2] = r.string();
                case "bus" -> n[0] = r.intValue();
                case "target" -> n[1] = r.intValue();
                case "unit" -> n[2] = r.intValue();
                default -> r.skip();
            }
        });
        return isObject ? new GuestFilesystem.Disk(s[0], s[1], s[2], n[0], n[1], n[2]) : null;
    }

    public static AgentCommand<List<GuestNetworkInterface>> networkInterfaces() {
        return NETWORK_INTERFACES_COMMAND;
    }

    private static List<GuestNetworkInterface> readNetworkInterfaces(BoundedReader r) throws IOException {
        return r.list(true, x -> {
            String[] s = new String[2];
            List<List<GuestNetworkInterface.IpAddress>> ips = new ArrayList<>(List.of(GuestList.empty()));
            boolean isObject = r.object(false, f -> {
                switch (f) {
                    case "name" -> s[0] = r.string();
                    case "hardware-address" -> s[1] = r.string();
                    case "ip-addresses" -> ips.set(0, r.list(false, GuestCommands::readIpAddress));
                    default -> r.skip();
                }
            });
            return isObject ? new GuestNetworkInterface(s[0], s[1], ips.get(0)) : null;
        });
    }

    private static GuestNetworkInterface.IpAddress readIpAddress(BoundedReader r) throws IOException {
        String[] s = new String[2];
        int[] prefix = new int[1];
        boolean isObject = r.object(false, f -> {
            switch (f) {
                case "ip-address-type" -> s[0] = r.string();
                case "ip-address" -> s[1] = r.string();
                case "prefix" -> {
                    Integer p = r.intValue();
                    prefix[0] = p == null ? 0 : p;
                }
                default -> r.skip();
            }
        });
        return isObject ? new GuestNetworkInterface.IpAddress(s[0], s[1], prefix[0]) : null;
    }

    /** guest-fsfreeze-status: "thawed" or "frozen" (whatever string the agent says, bounded; null if not a string). */
    public static AgentCommand<String> fsfreezeStatus() {
        return FSFREEZE_STATUS_COMMAND;
    }

    private static String readFsfreezeStatus(BoundedReader r) throws IOException {
        return r.string();
    }

    /** guest-get-time: the guest's clock (nanoseconds since the epoch on the wire). */
    public static AgentCommand<Instant> time() {
        return TIME_COMMAND;
    }

    private static Instant readTime(BoundedReader r) throws IOException {
        var t = r.parser().currentToken();
        if (t != com.fasterxml.jackson.core.JsonToken.VALUE_NUMBER_INT
                || r.parser().getNumberType() == com.fasterxml.jackson.core.JsonParser.NumberType.BIG_INTEGER) {
            r.unreadable("an integer of at most 64 bits");
            return null;
        }
        long ns = r.parser().getLongValue();
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
        return new AgentCommand<>(req, GuestCommands::readPing, ResponseTimeout.SHUTDOWN, awaits(mode));
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
            return new AgentCommand<>(req, ReplyReader.TREE, null, null);
        }
        // qemu-ga's default mode is powerdown; an unknown mode is the agent's to reject
        boolean reboot = ShutdownMode.REBOOT.wireName().equals(req.path("arguments").path("mode").asText());
        return new AgentCommand<>(req, ReplyReader.TREE, ResponseTimeout.SHUTDOWN,
                reboot ? VmEvent.RESET : VmEvent.SHUTDOWN);
    }

    private static <T> AgentCommand<T> simple(String name, ReplyReader<T> reader) {
        return new AgentCommand<>(request(name), reader, null, null);
    }

    private static ObjectNode request(String name) {
        return NODES.objectNode().put("execute", name);
    }

    /** guest-shutdown's {@code mode}. */
    public enum ShutdownMode {
        POWERDOWN, REBOOT, HALT;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
