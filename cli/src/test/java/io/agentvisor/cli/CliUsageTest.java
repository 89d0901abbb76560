package io.agentvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.agent.ScriptedAgent;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Usage errors, exit codes and the misbehaving-agent cases (scripted agent: fast, no real processes). */
class CliUsageTest {

    @Test
    void badTimeoutValuesAreUsageErrors() {
        for (String bad : new String[] {"-3", "forever", "1.5"}) {
            Cli r = Cli.run("agent-command", "--socket", "/tmp/x", "--timeout", bad, "{\"execute\":\"guest-ping\"}")
                    .assertOneLineError(ExitCode.USAGE);
            assertTrue(r.err().contains("--timeout"), r.err());
        }
    }

    @Test
    void invalidJsonIsAUsageError() {
        Cli.run("agent-command", "--socket", "/tmp/x", "{\"execute\":").assertOneLineError(ExitCode.USAGE);
        Cli r = Cli.run("agent-command", "--socket", "/tmp/x", "[1,2]").assertOneLineError(ExitCode.USAGE);
        assertTrue(r.err().contains("JSON object"), r.err());
        Cli.run("agent-command", "--socket", "/tmp/x", "{\"arguments\":{}}").assertOneLineError(ExitCode.USAGE);
    }

    @Test
    void missingOptionsAndUnknownFlagsAreUsageErrors() {
        Cli.run("agent-command", "{\"execute\":\"guest-ping\"}").assertOneLineError(ExitCode.USAGE);
        Cli.run("guestinfo", "--socket", "/tmp/x", "--bogus").assertOneLineError(ExitCode.USAGE);
        Cli.run("guestinfo", "--socket", "/tmp/x", "-o", "yaml").assertOneLineError(ExitCode.USAGE);
        Cli.run().assertOneLineError(ExitCode.USAGE);
    }

    @Test
    void noSocketIsExit4() {
        Cli r = Cli.run("agent-command", "--socket", "/tmp/agentvisor-none-" + System.nanoTime(),
                "{\"execute\":\"guest-ping\"}").assertOneLineError(ExitCode.AGENT_ERROR);
        assertTrue(r.err().startsWith("agentvisor: guest agent is not connected: no guest agent socket at"), r.err());
    }

    @Test
    void helpListsTheExitCodes() {
        Cli r = Cli.run("--help");
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("agent-command") && r.out().contains("guestinfo")
                && r.out().contains("not responding"), r.out());
    }

    @Test
    void anOversizeReplyIsExit4() throws Exception {
        byte[] mib = new byte[1024 * 1024];
        Arrays.fill(mib, (byte) 'x');
        try (ScriptedAgent sa = ScriptedAgent.start((c, cmd, req) -> {
            if (cmd.equals("guest-get-host-name")) {
                c.send("{\"return\": {\"host-name\": \"");
                for (int i = 0; i < 20; i++) {
                    c.sendBytes(mib);
                }
            } else {
                c.standard(cmd, req);
            }
        })) {
            Cli r = Cli.run("agent-command", "--socket", sa.socket().toString(), "--timeout", "Block",
                    "{\"execute\":\"guest-get-host-name\"}").assertOneLineError(ExitCode.AGENT_ERROR);
            assertTrue(r.err().contains("byte limit"), r.err());
        }
    }

    @Test
    void aCutOffReplyIsExit4() throws Exception {
        try (ScriptedAgent sa = ScriptedAgent.start((c, cmd, req) -> {
            if (cmd.equals("guest-get-host-name")) {
                c.send("{\"return\": {\"host-na");
                c.close();
            } else {
                c.standard(cmd, req);
            }
        })) {
            Cli r = Cli.run("agent-command", "--socket", sa.socket().toString(),
                    "{\"execute\":\"guest-get-host-name\"}").assertOneLineError(ExitCode.AGENT_ERROR);
            assertTrue(r.err().contains("EOF"), r.err());
        }
    }

    @Test
    void theReplyObjectIsPrintedAsIs() throws Exception {
        try (ScriptedAgent sa = ScriptedAgent.start((c, cmd, req) -> c.standard(cmd, req))) {
            Cli r = Cli.run("agent-command", "--socket", sa.socket().toString(), "{\"execute\":\"guest-get-host-name\"}");
            assertEquals(0, r.exit(), r.toString());
            assertEquals("{\"return\":{\"host-name\":\"scripted\"}}", r.out().strip());
            assertEquals("", r.err());
        }
    }
}
