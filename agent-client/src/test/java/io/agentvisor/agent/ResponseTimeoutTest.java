package io.agentvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ResponseTimeoutTest {

    @Test
    void theLibvirtTable() {
        // value → guest-sync waits, the command waits (empty: forever)
        check(-2, 5, null);
        check(-1, 5, 5L);
        check(0, 0, 0L);
        check(1, 1, 1L);
        check(4, 4, 4L);
        check(5, 5, 5L);
        check(7, 5, 7L);
        check(600, 5, 600L);
    }

    private static void check(int value, long sync, Long command) {
        ResponseTimeout t = ResponseTimeout.ofSeconds(value);
        assertEquals(Duration.ofSeconds(sync), t.syncWait(), "sync wait of " + value);
        assertEquals(Optional.ofNullable(command).map(Duration::ofSeconds), t.commandWait(), "command wait of " + value);
    }

    @Test
    void parsesNamesAndIntegers() {
        assertEquals(ResponseTimeout.BLOCK, ResponseTimeout.parse("Block", "f"));
        assertEquals(ResponseTimeout.DEFAULT, ResponseTimeout.parse("Default", "f"));
        assertEquals(ResponseTimeout.NO_WAIT, ResponseTimeout.parse(" NoWait ", "f"));
        assertEquals(ResponseTimeout.BLOCK, ResponseTimeout.parse("-2", "f"));
        assertEquals(ResponseTimeout.ofSeconds(7), ResponseTimeout.parse(" 7 ", "f"));
        assertEquals("Block", ResponseTimeout.BLOCK.toString());
        assertEquals("7s", ResponseTimeout.ofSeconds(7).toString());
    }

    @Test
    void rejectsEverythingElseWithAClearMessage() {
        String[][] cases = {
            {"-3", "--timeout: -3 is below -2 (Block)"},
            {"block", "--timeout: \"block\" is not a timeout: use an integer >= -2 (seconds) or Block, Default, NoWait"},
            {"1.5", "--timeout: \"1.5\" is not a timeout: use an integer >= -2 (seconds) or Block, Default, NoWait"},
            {" ", "--timeout: empty: use an integer >= -2 (seconds) or Block, Default, NoWait"},
            {"99999999999", "--timeout: 99999999999 is too large"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ResponseTimeout.parse(c[0], "--timeout"));
            assertEquals(c[1], e.getMessage());
        }
        assertEquals("-3 is below -2 (Block)",
                assertThrows(IllegalArgumentException.class, () -> ResponseTimeout.ofSeconds(-3)).getMessage());
    }

    @Test
    void outcomeMessagesAreOneLineForUsers() {
        assertEquals("guest agent is not responding: no reply to guest-ping within 3 s",
                new AgentOutcome.NotResponding<Void>("guest-ping", AgentOutcome.Phase.COMMAND,
                        Duration.ofMillis(3004)).message());
        assertEquals("guest agent command guest-get-users failed: CommandNotFound: Command guest-get-users has been disabled",
                new AgentOutcome.CommandError<Void>("guest-get-users", "CommandNotFound",
                        "Command guest-get-users has been disabled").message());
        assertEquals("guest agent is not available due to an error: a b",
                new AgentOutcome.AgentError<Void>("x", "a\nb").message());
    }
}
