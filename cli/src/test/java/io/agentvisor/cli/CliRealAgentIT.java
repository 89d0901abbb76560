package io.agentvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.testsupport.BinAgentvisor;
import io.agentvisor.testsupport.Cmd;
import io.agentvisor.testsupport.HostQemuGa;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The CLI against real host qemu-ga processes (guest-shutdown disabled: it would stop the host). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CliRealAgentIT {

    @Test
    void aFrozenAgentIsExit3ForEveryTimeoutAndTheNextCallAfterSigcontPrintsItsOwnReply() throws Exception {
        String[] timeouts = {"3", "7", "-1", "-2", "0", "Block"};
        List<HostQemuGa> gas = new ArrayList<>();
        try {
            List<CompletableFuture<Cli>> runs = new ArrayList<>();
            for (String t : timeouts) {
                HostQemuGa ga = HostQemuGa.start("-b", "guest-shutdown");
                gas.add(ga);
                ga.freeze();
                runs.add(CompletableFuture.supplyAsync(() -> Cli.run("agent-command", "--socket",
                        ga.socket().toString(), "--timeout", t, "{\"execute\":\"guest-ping\"}")));
            }
            for (int i = 0; i < timeouts.length; i++) {
                Cli r = runs.get(i).get(60, TimeUnit.SECONDS).assertOneLineError(ExitCode.NOT_RESPONDING);
                assertTrue(r.err().startsWith("agentvisor: guest agent is not responding: no reply to guest-ping within"),
                        timeouts[i] + ": " + r.err());
            }
            // once the frozen agent's listen backlog is full, connect() fails with EAGAIN: still not responding
            for (int i = 0; i < 3; i++) {
                Cli.run("agent-command", "--socket", gas.get(0).socket().toString(), "--timeout", "1",
                        "{\"execute\":\"guest-ping\"}").assertOneLineError(ExitCode.NOT_RESPONDING);
            }
            for (HostQemuGa ga : gas) {
                ga.thaw();
                Cli r = Cli.run("agent-command", "--socket", ga.socket().toString(),
                        "{\"execute\":\"guest-get-host-name\"}");
                assertEquals(0, r.exit(), r.toString());
                assertTrue(r.out().startsWith("{\"return\":{\"host-name\":"), r.out());
            }
        } finally {
            gas.forEach(HostQemuGa::close);
        }
    }

    @Test
    void aDisabledCommandIsExit1AndGuestinfoLeavesItOut() throws Exception {
        try (HostQemuGa ga = HostQemuGa.start("-b", "guest-get-users,guest-shutdown")) {
            String sock = ga.socket().toString();
            Cli r = Cli.run("agent-command", "--socket", sock, "{\"execute\":\"guest-get-users\"}")
                    .assertOneLineError(ExitCode.COMMAND_ERROR);
            assertTrue(r.err().contains("CommandNotFound") && r.err().contains("disabled"), r.err());

            Cli json = Cli.run("guestinfo", "--socket", sock);
            assertEquals(0, json.exit(), json.toString());
            assertTrue(json.out().contains("\"hostName\"") && json.out().contains("\"filesystems\"")
                    && !json.out().contains("\"users\""), json.out());
            assertTrue(json.out().contains("\"guest-get-users\" : \"disabled in the agent\""), json.out());

            Cli table = Cli.run("guestinfo", "--socket", sock, "-o", "table", "--timeout", "10");
            assertEquals(0, table.exit(), table.toString());
            assertTrue(table.out().contains("hostname") && table.out().contains("unavailable  guest-get-users"),
                    table.out());
        }
    }

    @Test
    void binAgentvisorRunsThePackagedCli() {
        try (HostQemuGa ga = HostQemuGa.start("-b", "guest-shutdown")) {
            for (String daemon : new String[] {"on", "off"}) {
                Cmd.Result r = BinAgentvisor.run(Map.of("AGENTVISOR_CLI_DAEMON", daemon), 60, "agent-command", "--socket",
                        ga.socket().toString(), "{\"execute\":\"guest-ping\"}");
                assertEquals(0, r.exitCode(), daemon + ": " + r.output());
                assertEquals("{\"return\":{}}", r.output().strip(), daemon);
            }
        } finally {
            BinAgentvisor.stopDaemons();
        }
    }
}
