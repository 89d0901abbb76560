package io.agentvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Guest-info replies no well-behaved agent sends, read as GuestAgent reads every reply line: the typed values stay
 * within the bounds of {@link BoundedReader} (items per list, characters per string, a budget per reply), say what
 * was dropped, and carry no control or bidi character; the stream's framing is never lost.
 */
class BoundedReplyTest {

    private static <T> Json.Reply<T> read(AgentCommand<T> cmd, String line) {
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        return Json.reply(b, 0, b.length, cmd);
    }

    private static <T> T value(AgentCommand<T> cmd, String returnJson) {
        Json.Reply<T> r = read(cmd, "{\"return\":" + returnJson + "}");
        return assertInstanceOf(Json.Returned.class, r, r::toString) instanceof Json.Returned<?> v ? cast(v.value())
                : null;
    }

    @SuppressWarnings("unchecked")
    private static <T> T cast(Object o) {
        return (T) o;
    }

    @Test
    void aHundredThousandUsersKeepTheFirstSixtyFourAndTheCount() {
        String users = "[" + String.join(",", Collections.nCopies(100_000,
                "{\"user\":\"u\\u001b[2J\",\"login-time\":1700000000.5}")) + "]";
        List<GuestUser> u = value(GuestCommands.users(), users);
        assertEquals(BoundedReader.MAX_ITEMS, u.size());
        GuestList<GuestUser> g = assertInstanceOf(GuestList.class, u);
        assertEquals(100_000, g.reported());
        assertTrue(g.truncated());
        assertEquals("u\uFFFD[2J", u.get(0).user());
        assertEquals(1_700_000_000_500L, u.get(63).loginTime().toEpochMilli());
    }

    @Test
    void aOneMebibyteHostNameIsCutMarkedAndPrintable() {
        String name = "h\\u001b]0;pwned\\u0007\\n".repeat(1 << 16);
        String h = value(GuestCommands.hostName(), "{\"host-name\":\"" + name + "\"}");
        assertEquals(BoundedReader.MAX_CHARS, h.length());
        assertTrue(h.startsWith("h\uFFFD]0;pwned\uFFFD\uFFFDh"), h.substring(0, 20));
        assertEquals(BoundedReader.CUT_MARK, h.charAt(h.length() - 1));
        assertTrue(h.chars().noneMatch(c -> c < 0x20 || c == 0x7f), "no control character");
        // exactly at the bound: kept whole, no mark
        String exact = "x".repeat(BoundedReader.MAX_CHARS);
        assertEquals(exact, value(GuestCommands.hostName(), "{\"host-name\":\"" + exact + "\"}"));
    }

    @Test
    void bidiZeroWidthSeparatorsAndLoneSurrogatesAreReplacedPairsKept() {
        GuestOsInfo os = value(GuestCommands.osInfo(), "{\"pretty-name\":\"\\u202Eevil\\u202C \\u200D\\u2028x\","
                + "\"name\":\"\\ud83d\\ude00 ok \u00e9\u4e2d\",\"id\":\"\\ud800lone\",\"machine\":\"\u0085c1\"}");
        assertEquals("\uFFFDevil\uFFFD \uFFFD\uFFFDx", os.prettyName());
        assertEquals("\ud83d\ude00 ok \u00e9\u4e2d", os.name());
        assertEquals("\uFFFDlone", os.id());
        assertEquals("\uFFFDc1", os.machine());
    }

    @Test
    void theBoundedDecoderAgreesWithJacksonOnWhatItKeeps() throws Exception {
        Random rnd = new Random(42);
        int[] pool = {'a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', 0x01, 0x7f, 0xe9, 0x4e2d, 0x202e, 0x1f600,
            0xd800};
        for (int n = 0; n < 2000; n++) {
            StringBuilder b = new StringBuilder();
            int len = rnd.nextInt(1200);
            for (int i = 0; i < len; i++) {
                b.appendCodePoint(pool[rnd.nextInt(pool.length)]);
            }
            String json = Json.MAPPER.writeValueAsString(b.toString());
            if (rnd.nextBoolean()) {
                json = json.replace("a", "\\u0061"); // escapes of plain characters too
            }
            // what Jackson decodes from the same bytes (UTF-8 encoding turns a lone surrogate into '?')
            String expected = BoundedReader.printable(Json.MAPPER.readTree(json.getBytes(StandardCharsets.UTF_8))
                    .asText());
            String got = value(GuestCommands.hostName(), "{\"host-name\":" + json + "}");
            if (expected.length() <= BoundedReader.MAX_CHARS) {
                assertEquals(expected, got, json);
            } else {
                assertEquals(BoundedReader.MAX_CHARS, got.length());
                String head = got.substring(0, got.length() - 1);
                // a pair cut in half at the bound leaves a replaced high surrogate
                assertEquals(BoundedReader.printable(expected.substring(0, head.length())), head, json);
            }
        }
    }

    @Test
    void aWholeReplyKeepsAtMostItsBudget() {
        String big = "d".repeat(BoundedReader.MAX_CHARS + 100);
        String disk = "{\"dev\":\"" + big + "\",\"serial\":\"" + big + "\",\"bus-type\":\"" + big + "\",\"bus\":1}";
        String fs = "{\"name\":\"" + big + "\",\"mountpoint\":\"" + big + "\",\"type\":\"ext4\",\"disk\":["
                + String.join(",", Collections.nCopies(70, disk)) + "]}";
        List<GuestFilesystem> all = value(GuestCommands.fsInfo(), "[" + String.join(",", Collections.nCopies(70, fs))
                + "]");
        long chars = 0;
        long items = all.size();
        for (GuestFilesystem f : all) {
            chars += len(f.name()) + len(f.mountPoint()) + len(f.type());
            items += f.disks().size();
            for (GuestFilesystem.Disk d : f.disks()) {
                chars += len(d.device()) + len(d.serial()) + len(d.busType());
            }
        }
        assertTrue(chars + BoundedReader.ITEM_COST * items <= BoundedReader.BUDGET,
                chars + " characters and " + items + " items kept");
        assertEquals(70, ((GuestList<GuestFilesystem>) all).reported());
        assertTrue(((GuestList<GuestFilesystem>) all).truncated());
        assertEquals(70, ((GuestList<GuestFilesystem.Disk>) all.get(0).disks()).reported());
        assertTrue(all.get(0).disks().size() <= BoundedReader.MAX_ITEMS);
    }

    /** Characters kept (a string past the budget is the mark alone, which costs nothing). */
    private static int len(String s) {
        return s == null || s.equals(String.valueOf(BoundedReader.CUT_MARK)) ? 0 : s.length();
    }

    @Test
    void deepNestingIsUnreadableNotACrashAndSkippedWhereNobodyLooks() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        Json.Reply<List<GuestUser>> r = read(GuestCommands.users(), "{\"return\":" + deep + "}");
        Json.Unreadable<?> u = assertInstanceOf(Json.Unreadable.class, r);
        assertTrue(u.why().contains("nesting depth"), u.why());
        // within the parser's depth, in a field nobody reads: skipped
        String nested = "[".repeat(60) + "]".repeat(60);
        assertEquals("vm1", value(GuestCommands.hostName(), "{\"junk\":" + nested + ",\"host-name\":\"vm1\"}"));
    }

    @Test
    void wrongTypesAreLeftOutExceptAtTheTop() {
        Json.Unreadable<?> top = assertInstanceOf(Json.Unreadable.class,
                read(GuestCommands.users(), "{\"return\":{\"user\":\"root\"}}"));
        assertEquals("expected an array, got an object", top.why());
        assertInstanceOf(Json.Unreadable.class, read(GuestCommands.osInfo(), "{\"return\":[1,2]}"));
        assertInstanceOf(Json.Unreadable.class, read(GuestCommands.time(), "{\"return\":\"noon\"}"));
        assertInstanceOf(Json.Unreadable.class, read(GuestCommands.time(),
                "{\"return\":123456789012345678901234567890}"));

        List<GuestUser> users = value(GuestCommands.users(), "[42,\"x\",null,{\"user\":7,\"domain\":{\"a\":[1]},"
                + "\"login-time\":\"yesterday\"},{\"user\":true,\"login-time\":1e400}]");
        assertEquals(List.of(new GuestUser("7", null, null), new GuestUser("true", null, null)), users);
        assertEquals(5, ((GuestList<GuestUser>) users).reported());

        GuestFilesystem fs = value(GuestCommands.fsInfo(), "[{\"name\":[\"a\"],\"used-bytes\":1e400,"
                + "\"total-bytes\":123456789012345678901234567890,\"disk\":{\"dev\":\"x\"}}]").get(0);
        assertNull(fs.name());
        assertNull(fs.usedBytes());
        assertNull(fs.totalBytes());
        assertEquals(List.of(), fs.disks());
        GuestTimezone tz = value(GuestCommands.timezone(), "{\"zone\":\"UTC\",\"offset\":99999999999}");
        assertEquals(new GuestTimezone("UTC", 0), tz);
        GuestNetworkInterface nic = value(GuestCommands.networkInterfaces(), "[{\"name\":\"eth0\",\"ip-addresses\":"
                + "[{\"ip-address\":\"10.0.0.1\",\"prefix\":\"24\"},7]}]").get(0);
        assertEquals(List.of(new GuestNetworkInterface.IpAddress(null, "10.0.0.1", 0)), nic.ipAddresses());
    }

    @Test
    void theEnvelopeIsStrictAndErrorsAreBounded() {
        assertInstanceOf(Json.Garbage.class, read(GuestCommands.ping(), "{\"return\":{}} {}"));
        assertInstanceOf(Json.Garbage.class, read(GuestCommands.ping(), "[]"));
        assertInstanceOf(Json.Garbage.class, read(GuestCommands.ping(), "{\"return\":{}"));
        assertInstanceOf(Json.Garbage.class, read(GuestCommands.ping(), "{\"other\":1}"));
        assertInstanceOf(Json.Garbage.class, read(GuestCommands.ping(), "{\"error\":\"no\"}"));
        Json.Errored<?> e = assertInstanceOf(Json.Errored.class, read(GuestCommands.ping(),
                "{\"error\":{\"class\":\"GenericError\",\"desc\":\"" + "\\u001b[31m".repeat(100_000) + "\"}}"));
        assertEquals("GenericError", e.errorClass());
        assertEquals(BoundedReader.MAX_CHARS, e.description().length());
        assertFalse(e.description().contains("\u001b"));
        // return wins over error, as before
        assertInstanceOf(Json.Returned.class, read(GuestCommands.ping(),
                "{\"error\":{\"class\":\"X\"},\"return\":{}}"));
    }

    @Test
    void rawRepliesAreExactTreesOfBoundedSize() {
        AgentCommand<JsonNode> raw = GuestCommands.raw("{\"execute\":\"guest-exec-status\"}");
        JsonNode v = value(raw, "{\"exited\":true,\"out-data\":\"\\u001b[2J\",\"n\":[1,2,3]}");
        assertEquals("\u001b[2J", v.path("out-data").asText()); // the user's own command: nothing replaced
        assertEquals(3, v.path("n").size());
        String many = "[" + String.join(",", Collections.nCopies(200_000, "0")) + "]";
        Json.Unreadable<?> u = assertInstanceOf(Json.Unreadable.class, read(raw, "{\"return\":" + many + "}"));
        assertTrue(u.why().contains("Token count"), u.why());
    }

    @Test
    void syncRepliesAreReadWithoutATree() {
        byte[] ok = "{\"return\": 1234567890123}".getBytes(StandardCharsets.US_ASCII);
        assertEquals(1234567890123L, Json.syncId(ok, 0, ok.length));
        byte[] big = ("{\"junk\":[" + String.join(",", Collections.nCopies(100_000, "{}")) + "],\"return\":7}")
                .getBytes(StandardCharsets.US_ASCII);
        assertEquals(7L, Json.syncId(big, 0, big.length));
        byte[] trailing = "{\"return\":7} x".getBytes(StandardCharsets.US_ASCII);
        assertNull(Json.syncId(trailing, 0, trailing.length));
        byte[] huge = "{\"return\":123456789012345678901234567890}".getBytes(StandardCharsets.US_ASCII);
        assertNull(Json.syncId(huge, 0, huge.length));
    }

    @Test
    void guestListsSayWhatWasDropped() {
        GuestList<String> g = GuestList.of(List.of("a", "b"), 5);
        assertEquals(List.of("a", "b"), g);
        assertEquals(5, g.reported());
        assertTrue(g.truncated());
        assertFalse(GuestList.copyOf(List.of("a")).truncated());
        assertEquals(1, GuestList.copyOf(List.of("a")).reported());
    }
}
