package io.agentvisor.driver.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentvisor.agent.GuestFilesystem;
import io.agentvisor.agent.GuestNetworkInterface;
import io.agentvisor.agent.GuestOsInfo;
import io.agentvisor.agent.GuestTimezone;
import io.agentvisor.agent.GuestUser;
import io.agentvisor.api.v1alpha1.Bounds;
import io.agentvisor.api.v1alpha1.GuestStatus;
import io.agentvisor.driver.poll.AgentLink;
import io.agentvisor.driver.poll.AgentView;
import io.agentvisor.driver.poll.AgentView.GuestFacts;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Whatever a guest agent reports, status.guest fits the schema and a stated number of bytes. */
class GuestStatusBoundTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final AgentLink ANSWERING = new AgentLink(true, true, 0, null, null, null);

    static AgentView view(String hostname, List<GuestUser> users, List<GuestFilesystem> fs,
            List<GuestNetworkInterface> nics, GuestOsInfo os) {
        return new AgentView(ANSWERING, new GuestFacts(false, "7.2", List.of("guest-ping"), os, hostname,
                new GuestTimezone("UTC", 0), users, fs, nics));
    }

    @Test
    void hundredThousandUsersAndAMegabyteHostnameLeaveASmallMarkedStatus() throws Exception {
        List<GuestUser> users = IntStream.range(0, 100_000).mapToObj(i -> new GuestUser("user" + i, null,
                Instant.ofEpochSecond(1_700_000_000L))).toList();
        String hostname = "h\u001b]0;pwned\u0007\n".repeat(1 << 16); // 1 MiB with escapes and newlines
        GuestStatus g = StatusBuilder.guest(view(hostname, users, null, null, null));
        assertEquals(Bounds.USERS, g.getUsers().size());
        assertEquals("user0", g.getUsers().get(0).getUserName());
        assertEquals(Bounds.GUEST_STRING, g.getHostname().length());
        assertTrue(g.getHostname().startsWith("h\uFFFD]0;pwned\uFFFD\uFFFDh"), g.getHostname());
        assertTrue(g.getHostname().endsWith("..."));
        assertEquals(List.of("users: 100000 reported, 32 kept", "1 string(s) cut to their maximum length"),
                g.getTruncated());
        int bytes = JSON.writeValueAsBytes(g).length;
        assertTrue(bytes < 8 * 1024, bytes + " bytes");
    }

    @Test
    void aWellBehavedGuestIsCopiedAsItIsWithoutMark() {
        GuestStatus g = StatusBuilder.guest(view("agentvisor-guest", List.of(new GuestUser("root", null,
                Instant.ofEpochSecond(1_700_000_000L))), null, null, null));
        assertEquals("agentvisor-guest", g.getHostname());
        assertEquals(1_700_000_000.0, g.getUsers().get(0).getLoginTime());
        assertNull(g.getTruncated());
    }

    @Test
    void numbersOutsideTheSchemaAreLeftOut() {
        GuestFilesystem fs = new GuestFilesystem("sda1", "/", "ext4", -5L, Long.MAX_VALUE, List.of());
        AgentView v = new AgentView(ANSWERING, new GuestFacts(false, null, null, null, null,
                new GuestTimezone("Mars/Olympus", 999_999), List.of(new GuestUser("u", null,
                        Instant.ofEpochSecond(Long.MAX_VALUE / 1000))), List.of(fs), null));
        GuestStatus g = StatusBuilder.guest(v);
        assertNull(g.getFilesystems().get(0).getUsedBytes());
        assertNull(g.getFilesystems().get(0).getTotalBytes());
        assertNull(g.getTimezone().getOffset());
        assertNull(g.getUsers().get(0).getLoginTime());
    }

    /** Every list over its bound, every string over its bound and made of characters UTF-8 spends 3 bytes on. */
    @Test
    void theWorstCaseIsUnderTheStatedBound() throws Exception {
        String big = "\u0007".repeat(10_000); // each becomes U+FFFD: 3 bytes in UTF-8
        List<GuestFilesystem.Disk> disks = Collections.nCopies(50, new GuestFilesystem.Disk(big, big, big, 1, 2, 3));
        List<GuestFilesystem> fs = Collections.nCopies(1000, new GuestFilesystem(big, big, big, Bounds.BYTES,
                Bounds.BYTES, disks));
        List<GuestNetworkInterface.IpAddress> ips = Collections.nCopies(1000, new GuestNetworkInterface.IpAddress(
                "ipv6", big, 128));
        List<GuestNetworkInterface> nics = Collections.nCopies(1000, new GuestNetworkInterface(big, big, ips));
        List<GuestUser> users = Collections.nCopies(100_000, new GuestUser(big, big, Instant.ofEpochSecond(
                1_700_000_000L)));
        GuestOsInfo os = new GuestOsInfo(big, big, big, big, big, big, big, big, big, big);
        AgentView v = new AgentView(ANSWERING, new GuestFacts(false, big, null, os, big,
                new GuestTimezone(big, -86_400), users, fs, nics));
        GuestStatus g = StatusBuilder.guest(v);
        byte[] json = JSON.writeValueAsString(g).getBytes(StandardCharsets.UTF_8);
        System.out.println("worst-case status.guest: " + json.length + " bytes");
        assertTrue(json.length <= Bounds.GUEST_STATUS_BYTES, json.length + " bytes > " + Bounds.GUEST_STATUS_BYTES);
        assertEquals(List.of("users: 100000 reported, 32 kept", "filesystems: 1000 reported, 16 kept",
                "disks (of the filesystems kept): 800 reported, 32 kept", "interfaces: 1000 reported, 16 kept",
                "addresses (of the interfaces kept): 16000 reported, 256 kept",
                "506 string(s) cut to their maximum length"), g.getTruncated());
    }
}
