package io.agentvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.agent.ReplyFramer.Event;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * The memory for long reply lines is shared by all agents of a runtime: lines beyond {@link ReplyFramer#SMALL} bytes
 * reserve it while they last and give it back when done, and a line that finds none free fails on its own.
 */
class LongReplyMemoryTest {

    private static ByteBuffer bytes(int n, boolean newline) {
        byte[] b = new byte[n + (newline ? 1 : 0)];
        java.util.Arrays.fill(b, (byte) 'x');
        if (newline) {
            b[n] = '\n';
        }
        return ByteBuffer.wrap(b);
    }

    @Test
    void longLinesShareOneBudgetAndGiveItBack() {
        LineMemory memory = new LineMemory(64 * 1024);
        ReplyFramer a = new ReplyFramer(1 << 20, memory);
        ReplyFramer b = new ReplyFramer(1 << 20, memory);
        a.expectLine();
        b.expectLine();
        assertEquals(Event.NEED_MORE, a.next(bytes(40 * 1024, false)));
        assertEquals(48 * 1024, memory.used()); // a 64 KiB buffer: all but its first 16 KiB
        assertEquals(Event.NO_MEMORY, b.next(bytes(40 * 1024, false)));
        assertEquals(48 * 1024, memory.used(), "b gave back what it had");
        assertEquals(Event.LINE, a.next(bytes(0, true)));
        assertEquals(40 * 1024, a.length());
        a.ignore();
        assertEquals(0, memory.used());
        b.expectLine();
        assertEquals(Event.LINE, b.next(bytes(40 * 1024, true)));
        b.ignore();
        assertEquals(0, memory.used());
        // short lines never touch it
        ReplyFramer c = new ReplyFramer(1 << 20, new LineMemory(0));
        c.expectLine();
        assertEquals(Event.LINE, c.next(bytes(ReplyFramer.SMALL, true)));
    }

    @Test
    void aReplyThatFindsNoRoomIsAnAgentErrorAndShortOnesGoOn() throws Exception {
        String big = "{\"return\": {\"host-name\": \"" + "y".repeat(100_000) + "\"}}\n";
        try (AgentRuntime runtime = AgentRuntime.create(1, null, 0);
             ScriptedAgent sa = hostNameReplying(big)) {
            GuestAgent agent = runtime.open(sa.socket());
            AgentOutcome<String> o = agent.callAndWait(GuestCommands.hostName());
            AgentOutcome.AgentError<String> e = assertInstanceOf(AgentOutcome.AgentError.class, o, o::message);
            assertTrue(e.reason().contains("0 MiB for long replies are in use"), e.reason());
            assertTrue(agent.callAndWait(GuestCommands.ping()).isSuccess());
        }
        try (AgentRuntime runtime = AgentRuntime.create();
             ScriptedAgent sa = hostNameReplying(big)) {
            GuestAgent agent = runtime.open(sa.socket());
            String h = agent.callAndWait(GuestCommands.hostName()).value();
            assertEquals(BoundedReader.MAX_CHARS, h.length());
            assertEquals(0, runtime.lineMemory().used(), "given back once the reply was read");
        }
    }

    /** An agent that answers guest-get-host-name with {@code reply} and everything else as qemu-ga does. */
    private static ScriptedAgent hostNameReplying(String reply) throws IOException {
        return ScriptedAgent.start((c, cmd, req) -> {
            if (cmd.equals("guest-get-host-name")) {
                c.send(reply);
            } else {
                c.standard(cmd, req);
            }
        });
    }
}
