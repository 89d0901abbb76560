package io.agentvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.agent.AgentCommand.VmEvent;
import io.agentvisor.agent.GuestCommands.ShutdownMode;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reply parsing: full replies as qemu-ga 7.2 sends them, and the sparse ones of older or odd agents. */
class GuestCommandsTest {

    /** The return value as GuestAgent reads it from a reply line; an unreadable reply throws. */
    static <T> T parse(AgentCommand<T> cmd, String returnJson) {
        byte[] line = ("{\"return\": " + returnJson + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Json.Reply<T> r = Json.reply(line, 0, line.length, cmd);
        if (r instanceof Json.Returned<T> v) {
            return v.value();
        }
        throw new IllegalArgumentException(r.toString());
    }

    @Test
    void fullReplies() throws Exception {
        GuestAgentInfo info = parse(GuestCommands.info(), "{\"version\":\"7.2.22\",\"supported_commands\":["
                + "{\"enabled\":true,\"name\":\"guest-ping\",\"success-response\":true},"
                + "{\"enabled\":false,\"name\":\"guest-get-users\",\"success-response\":true},"
                + "{\"enabled\":true,\"name\":\"guest-shutdown\",\"success-response\":false}]}");
        assertEquals("7.2.22", info.version());
        assertTrue(info.supports("guest-ping"));
        assertFalse(info.supports("guest-get-users"));
        assertEquals("disabled in the agent", info.unavailableReason("guest-get-users"));
        assertEquals("not supported by the agent", info.unavailableReason("guest-exec"));
        assertFalse(info.supportedCommands().get(2).successResponse());

        GuestOsInfo os = parse(GuestCommands.osInfo(), "{\"name\":\"Debian GNU/Linux\",\"kernel-release\":\"6.1.0-28-amd64\","
                + "\"version\":\"12 (bookworm)\",\"pretty-name\":\"Debian GNU/Linux 12 (bookworm)\",\"version-id\":\"12\","
                + "\"kernel-version\":\"#1 SMP\",\"machine\":\"x86_64\",\"id\":\"debian\"}");
        assertEquals(new GuestOsInfo("debian", "Debian GNU/Linux", "Debian GNU/Linux 12 (bookworm)", "12 (bookworm)", "12",
                null, null, "6.1.0-28-amd64", "#1 SMP", "x86_64"), os);

        List<GuestUser> users = parse(GuestCommands.users(),
                "[{\"user\":\"root\",\"login-time\":1700000000.5},{\"user\":\"bob\",\"domain\":\"CORP\",\"login-time\":1}]");
        assertEquals(Instant.ofEpochSecond(1700000000, 500_000_000), users.get(0).loginTime());
        assertEquals("CORP", users.get(1).domain());

        List<GuestFilesystem> fs = parse(GuestCommands.fsInfo(), "[{\"name\":\"vda1\",\"mountpoint\":\"/\",\"type\":\"ext4\","
                + "\"used-bytes\":100,\"total-bytes\":1000,\"disk\":[{\"serial\":\"abc\",\"bus-type\":\"virtio\",\"bus\":0,"
                + "\"unit\":0,\"target\":0,\"dev\":\"/dev/vda1\",\"pci-controller\":{\"bus\":0,\"slot\":4,\"domain\":0,\"function\":0}}]}]");
        assertEquals(new GuestFilesystem("vda1", "/", "ext4", 100L, 1000L,
                List.of(new GuestFilesystem.Disk("/dev/vda1", "abc", "virtio", 0, 0, 0))), fs.get(0));

        List<GuestNetworkInterface> ifs = parse(GuestCommands.networkInterfaces(), "[{\"name\":\"eth0\","
                + "\"hardware-address\":\"52:54:00:12:34:56\",\"ip-addresses\":[{\"ip-address-type\":\"ipv4\","
                + "\"ip-address\":\"10.0.2.15\",\"prefix\":24}],\"statistics\":{\"rx-bytes\":1}}]");
        assertEquals(new GuestNetworkInterface("eth0", "52:54:00:12:34:56",
                List.of(new GuestNetworkInterface.IpAddress("ipv4", "10.0.2.15", 24))), ifs.get(0));

        assertEquals(new GuestTimezone("CET", 3600), parse(GuestCommands.timezone(), "{\"zone\":\"CET\",\"offset\":3600}"));
        assertEquals("vm1", parse(GuestCommands.hostName(), "{\"host-name\":\"vm1\"}"));
        assertEquals(Instant.ofEpochSecond(1700000000, 123), parse(GuestCommands.time(), "1700000000000000123"));
    }

    @Test
    void sparseRepliesOfOlderAgentsLeaveNullsAndEmptyLists() throws Exception {
        GuestAgentInfo info = parse(GuestCommands.info(), "{\"version\":\"1.5\"}");
        assertEquals(List.of(), info.supportedCommands());
        assertNull(parse(GuestCommands.osInfo(), "{}").prettyName());
        GuestFilesystem fs = parse(GuestCommands.fsInfo(), "[{\"name\":\"sda1\",\"mountpoint\":\"/\",\"type\":\"xfs\"}]").get(0);
        assertNull(fs.usedBytes());
        assertEquals(List.of(), fs.disks());
        GuestNetworkInterface lo = parse(GuestCommands.networkInterfaces(), "[{\"name\":\"lo\"}]").get(0);
        assertNull(lo.hardwareAddress());
        assertEquals(List.of(), lo.ipAddresses());
        assertEquals(new GuestTimezone(null, 0), parse(GuestCommands.timezone(), "{\"offset\":0}"));
        assertNull(parse(GuestCommands.users(), "[{\"user\":\"root\"}]").get(0).loginTime());
    }

    @Test
    void aReplyOfTheWrongShapeIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> parse(GuestCommands.fsInfo(), "{}"));
        assertThrows(IllegalArgumentException.class, () -> parse(GuestCommands.time(), "\"noon\""));
        assertThrows(IllegalArgumentException.class, () -> parse(GuestCommands.osInfo(), "[]"));
    }

    @Test
    void rawCommandsNeedAnObjectWithExecute() {
        assertEquals("guest-ping", GuestCommands.raw("{\"execute\":\"guest-ping\"}").name());
        assertEquals(VmEvent.SHUTDOWN, GuestCommands.raw("{\"execute\":\"guest-shutdown\"}").awaitEvent());
        assertEquals(VmEvent.RESET, GuestCommands.raw("{\"execute\":\"guest-shutdown\",\"arguments\":{\"mode\":\"reboot\"}}").awaitEvent());
        assertEquals(VmEvent.RESET, GuestCommands.shutdown(ShutdownMode.REBOOT).awaitEvent());
        assertEquals(VmEvent.SHUTDOWN, GuestCommands.shutdown(ShutdownMode.HALT).awaitEvent());
        assertEquals(ResponseTimeout.SHUTDOWN, GuestCommands.raw("{\"execute\":\"guest-shutdown\"}").fixedTimeout());
        assertThrows(IllegalArgumentException.class, () -> GuestCommands.raw("{\"execute\":"));
        assertThrows(IllegalArgumentException.class, () -> GuestCommands.raw("\"guest-ping\""));
        assertThrows(IllegalArgumentException.class, () -> GuestCommands.raw("{\"execute\":42}"));
        assertThrows(IllegalArgumentException.class, () -> GuestCommands.raw("{\"execute\":\"guest-ping\"} trailing"));
    }
}
