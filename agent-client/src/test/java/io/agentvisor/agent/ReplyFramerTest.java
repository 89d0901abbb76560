package io.agentvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.agentvisor.agent.ReplyFramer.Event;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReplyFramerTest {

    private static ByteBuffer bytes(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object p : parts) {
            if (p instanceof Integer b) {
                out.write(b);
            } else {
                out.writeBytes(p.toString().getBytes(StandardCharsets.UTF_8));
            }
        }
        return ByteBuffer.wrap(out.toByteArray());
    }

    private static String line(ReplyFramer f) {
        return new String(f.line(), 0, f.length(), StandardCharsets.UTF_8);
    }

    @Test
    void seekingDropsEverythingBeforeTheDelimiterLikeQemuGasParseErrorLine() {
        ReplyFramer f = new ReplyFramer(1024);
        f.seekDelimiter();
        ByteBuffer in = bytes("{\"return\": {}}\n{\"error\": {\"desc\": \"stray '\\uFFFD'\"}}\n", 0xFF, "{\"return\": 9}\n",
                "{\"return\": {\"host-name\": \"h\"}}\n");
        assertEquals(Event.LINE, f.next(in));
        assertEquals("{\"return\": 9}", line(f));
        f.expectLine();
        assertEquals(Event.LINE, f.next(in));
        assertEquals("{\"return\": {\"host-name\": \"h\"}}", line(f));
        f.ignore();
        assertEquals(Event.NEED_MORE, f.next(in));
    }

    @Test
    void aDelimiterInsideADelimitedLineRestartsIt() {
        ReplyFramer f = new ReplyFramer(1024);
        f.seekDelimiter();
        assertEquals(Event.LINE, f.next(bytes(0xFF, "{\"ret", 0xFF, "{\"return\": 1}\n")));
        assertEquals("{\"return\": 1}", line(f));
    }

    @Test
    void linesMayArriveByteByByteAndBlankLinesAreSkipped() {
        ReplyFramer f = new ReplyFramer(1024);
        f.expectLine();
        ByteBuffer in = bytes("\n \r\n{\"return\": {}}\n");
        Event e = Event.NEED_MORE;
        for (int i = 0; i < in.limit() && e != Event.LINE; i++) {
            e = f.next(ByteBuffer.wrap(new byte[] {in.get(i)}));
        }
        assertEquals(Event.LINE, e);
        assertEquals("{\"return\": {}}", line(f));
    }

    @Test
    void bytesNobodyWaitsForAreStray() {
        ReplyFramer f = new ReplyFramer(1024);
        f.ignore();
        ByteBuffer in = bytes("{\"return\": {}}\n");
        assertEquals(Event.STRAY, f.next(in));
        assertEquals(0, in.remaining());
    }

    @Test
    void aLineOverTheCapOverflowsWithoutGrowingPastIt() {
        ReplyFramer f = new ReplyFramer(100);
        f.expectLine();
        assertEquals(Event.NEED_MORE, f.next(bytes("x".repeat(100))));
        assertEquals(Event.OVERFLOW, f.next(bytes("x")));
        ReplyFramer g = new ReplyFramer(100);
        g.expectLine();
        assertEquals(Event.LINE, g.next(bytes("y".repeat(100) + "\n")));
        assertEquals(100, g.length());
    }
}
