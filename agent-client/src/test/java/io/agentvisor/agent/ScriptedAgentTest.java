package io.agentvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.agent.AgentOutcome.AgentError;
import io.agentvisor.agent.AgentOutcome.CommandError;
import io.agentvisor.agent.AgentOutcome.NotConnected;
import io.agentvisor.agent.AgentOutcome.NotResponding;
import io.agentvisor.agent.AgentOutcome.Phase;
import io.agentvisor.agent.AgentOutcome.Success;
import io.agentvisor.agent.GuestCommands.ShutdownMode;
import io.agentvisor.testsupport.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The protocol's misbehaviour cases, against a scripted agent on a real AF_UNIX socket. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ScriptedAgentTest {
    private AgentRuntime runtime;

    @BeforeEach
    void start() {
        runtime = AgentRuntime.create();
    }

    @AfterEach
    void stop() {
        runtime.close();
    }

    private GuestAgent open(ScriptedAgent agent, ResponseTimeout t) {
        return runtime.open(agent.socket(), AgentOptions.defaults().withResponseTimeout(t));
    }

    @Test
    void aLateReplyIsNeverDeliveredToTheNextCaller() throws Exception {
        try (ScriptedAgent sa = ScriptedAgent.start((c, cmd, req) -> {
            if (cmd.equals("guest-get-time")) {
                Thread.sleep(1500); // answers after the caller gave up, with a reply that would parse as the next one
                c.send("{\"return\": {\"host-name\": \"LATE\"}}\n");
            } else {
                c.standard(cmd, req);
            }
        })) {
            GuestAgent agent = open(sa, ResponseTimeout.ofSeconds(1));
            AgentOutcome<?> late = agent.callAndWait(GuestCommands.time());
            NotResponding<?> nr = assertInstanceOf(NotResponding.class, late);
            assertEquals(Phase.COMMAND, nr.phase());
            assertEquals("guest-get-time", nr.command());
            agent.setResponseTimeout(ResponseTimeout.ofSeconds(10));
            assertEquals(new Success<>("scripted"), agent.callAndWait(GuestCommands.hostName()));
            assertEquals(1, sa.connections(), "a timeout keeps the connection");
            assertEquals(List.of("guest-sync-delimited", "guest-get-time", "guest-sync-delimited",
                    "guest-get-host-name"), sa.received(), "the call after a timeout re-synchronises first");
        }
    }

    @Test
    void aLateReplyArrivingOnTheNextConnectionIsDropped() throws Exception {
        try (ScriptedAgent sa = ScriptedAgent.start((c, cmd, req) -> c.standard(cmd, req))) {
            // a virtio-serial stream outlives the host-side connection: leftovers reach the next client
            sa.onConnect(c -> c.send("{\"return\": {\"host-name\": \"LATE\"}}\n{\"return\": {\"host-n"));
            try (GuestAgent agent = open(sa, ResponseTimeout.ofSeconds(5))) {
                assertEquals(new Success<>("scripted"), agent.callAndWait(GuestCommands.hostName()));
            }
        }
    }

    @Test
    void garbageAndWrongIdSyncRepliesAreSkipped() throws Exception {
        try (ScriptedAgent sa = ScriptedAgent.start((c, cmd, req) -> {
            if (cmd.equals("guest-sync-delimited")) {
                c.send("garbage \u0001\u0002 not json\n");
                c.sendBytes(new byte[] {(byte) 0xFF});
                c.send("{\"return\": 42}\n"); // an older sync's reply
                c.sendBytes(new byte[] {(byte) 0xFF});
                c.send("{\"ret"); // cut off by a new delimiter
            }
            c.standard(cmd, req);
        })) {
            GuestAgent agent = open(sa, ResponseTimeout.ofSeconds(5));
            assertEquals(new Success<>("scripted"), agent.callAndWait(GuestCommands.hostName()));
        }
    }

    @Test
    void onlyWrongSyncIdsMeansNotResponding() throws Exception {
        try (ScriptedAgent sa = ScriptedAgent.start((c, cmd, req) -> {
            if (cmd.equals("guest-sync-delimited")) {
                c.sendBytes(new byte[] {(byte) 0xFF});
                c.send("{\"return\": " + (req.path("arguments").path("id").asLong() ^ 1) + "}\n");
            } else {
                c.standard(cmd, req);
            }
        })) {
            AgentOutcome<?> o = open(sa, ResponseTimeout.ofSeconds(1)).callAndWait(GuestCommands.ping());
            assertEquals(Phase.SYNC, assertInstanceOf(NotResponding.class, o).phase());
            assertFalse(sa.received().contains("guest-ping"), "no command is sent on an unsynchronised stream");
        }
    }

    @Test
    void garbageAsACommandReplyIsAnAgentErrorAndTheNextCallReconnects() throws Exception {
        CountDownLatch once = new CountDownLatch(1);
        try (ScriptedAgent sa = ScriptedAgent.start((c, cmd, req) -> {
            if (cmd.equals("guest-ping") && once.getCount() > 0) {
                once.countDown();
                c.send("this is not json\n");
            } else {
                c.standard(cmd, req);
            }
        })) {
            GuestAgent agent = open(sa, ResponseTimeout.ofSeconds(5));
            AgentOutcome<?> o = agent.callAndWait(GuestCommands.ping());
            assertTrue(assertInstanceOf(AgentError.class, o).reason().contains("garbage"), o.message());
            assertEquals(new Success<Void>(null), agent.callAndWait(GuestCommands.ping()));
            assertEquals(2, sa.connections(), "the broken connection was dropped and a new one opened");
        }
    }

    @Test
    void aTwentyMebibyteReplyWithoutNewlineIsAnAgentErrorNotAnOutOfMemory() throws Exception {
        byte[] chunk = new byte[1024 * 1024];
        Arrays.fill(chunk, (byte) 'x');
        try (ScriptedAgent sa = ScriptedAgent.start((c, cmd, req) -> {
            if (cmd.equals("guest-get-host-name")) {
                c.send("{\"return\": {\"host-name\": \"");
                for (int i = 0; i < 20; i++) {
                    c.sendBytes(chunk); // the client hangs up at its cap: the write fails, which is fine
                }
            } else {
                c.standard(cmd, req);
            }
        })) {
            GuestAgent agent = open(sa, ResponseTimeout.BLOCK);
            AgentOutcome<?> o = agent.callAndWait(GuestCommands.hostName());
            AgentError<?> e = assertInstanceOf(AgentError.class, o);
            assertTrue(e.reason().contains("10485760 byte limit"), e.reason());
            assertFalse(agent.isConnected());
            assertEquals(new Success<Void>(null), agent.callAndWait(GuestCommands.ping()));
        }
    }

    @Test
    void theReplyCapIsConfigurable() throws Exception {
        try (ScriptedAgent sa = ScriptedAgent.start((c, cmd, req) -> {
            if (cmd.equals("guest-get-host-name")) {
                c.send("{\"return\": {\"host-name\": \"" + "y".repeat(5000) + "\"}}\n");
            } else {
                c.standard(cmd, req);
            }
        })) {
            GuestAgent small = runtime.open(sa.socket(), AgentOptions.defaults().withMaxReplyBytes(4096));
            assertInstanceOf(AgentError.class, small.callAndWait(GuestCommands.hostName()));
            small.close();
            GuestAgent big = runtime.open(sa.socket());
            // under the cap the line is read; the typed reply keeps its bounded part
            assertEquals("y".repeat(BoundedReader.MAX_CHARS - 1) + BoundedReader.CUT_MARK,
                    big.callAndWait(GuestCommands.hostName()).value());
        }
    }

    @Test
    void eofInTheMiddleOfAReplyIsAnAgentError() throws Exception {
        CountDownLatch once = new CountDownLatch(1);
        try (ScriptedAgent sa = ScriptedAgent.start((c, cmd, req) -> {
            if (cmd.equals("guest-get-host-name") && once.getCount() > 0) {
                once.countDown();
                c.send("{\"return\": {\"host-na");
                c.close();
            } else {
                c.standard(cmd, req);
            }
        })) {
            GuestAgent agent = open(sa, ResponseTimeout.BLOCK);
            AgentOutcome<?> o = agent.callAndWait(GuestCommands.hostName());
            assertTrue(assertInstanceOf(AgentError.class, o).reason().contains("EOF"), o.message());
            assertEquals(new Success<>("scripted"), agent.callAndWait(GuestCommands.hostName()));
        }
    }

    @Test
    void shutdownSucceedsOnEofAndReportsAnAgentsRefusal() throws Exception {
        try (ScriptedAgent sa = ScriptedAgent.start((c, cmd, req) -> {
            if (cmd.equals("guest-shutdown") && req.path("arguments").path("mode").asText().equals("halt")) {
                c.send("{\"error\": {\"class\": \"GenericError\", \"desc\": \"child process has failed to shutdown\"}}\n");
            } else {
                c.standard(cmd, req);
            }
        })) {
            GuestAgent agent = open(sa, ResponseTimeout.ofSeconds(2));
            assertEquals(new Success<Void>(null), agent.shutdown(ShutdownMode.POWERDOWN).get(60, TimeUnit.SECONDS));
            CommandError<?> e = assertInstanceOf(CommandError.class, agent.shutdown(ShutdownMode.HALT).get(60, TimeUnit.SECONDS));
            assertEquals("GenericError", e.errorClass());
            assertEquals(2, sa.connections(), "the agent's EOF closed the first connection");
        }
    }

    @Test
    void aQueuedCallsDeadlineCoversItsWaitInTheQueue() throws Exception {
        try (ScriptedAgent sa = ScriptedAgent.start(slowFsInfo(3000))) {
            GuestAgent agent = open(sa, ResponseTimeout.ofSeconds(30));
            agent.callAndWait(GuestCommands.ping()); // synchronised: the next calls go straight to the command
            CompletableFuture<AgentOutcome<List<GuestFilesystem>>> slow = agent.fsInfo();
            agent.setResponseTimeout(ResponseTimeout.ofSeconds(1)); // live change: the next call uses it
            AgentOutcome<Void> queued = agent.ping().get(60, TimeUnit.SECONDS);
            NotResponding<?> nr = assertInstanceOf(NotResponding.class, queued);
            assertEquals(Phase.QUEUED, nr.phase());
            assertFalse(slow.isDone(), "the queued call gave up before the slow one finished");
            // the call in flight kept its own 30 s deadline and gets its reply
            assertEquals(new Success<>(List.of()), slow.get(60, TimeUnit.SECONDS));
        }
    }

    @Test
    void perCommandOverridesApplyToTheirCommandOnly() throws Exception {
        try (ScriptedAgent sa = ScriptedAgent.start(slowFsInfo(2000))) {
            GuestAgent agent = open(sa, ResponseTimeout.ofSeconds(1));
            agent.setCommandTimeout(GuestCommands.FS_INFO, ResponseTimeout.ofSeconds(20));
            assertEquals(new Success<>(List.of()), agent.fsInfo().get(60, TimeUnit.SECONDS));
            agent.setCommandTimeout(GuestCommands.FS_INFO, null);
            assertEquals(Phase.COMMAND, assertInstanceOf(NotResponding.class, agent.fsInfo().get(60, TimeUnit.SECONDS)).phase());
        }
    }

    @Test
    void aHungAgentDoesNotDelayAnotherOne() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (ScriptedAgent hung = ScriptedAgent.start((c, cmd, req) -> {
                if (cmd.equals("guest-ping")) {
                    release.await(); // never answers while the test runs
                } else {
                    c.standard(cmd, req);
                }
            });
             ScriptedAgent healthy = ScriptedAgent.start((c, cmd, req) -> c.standard(cmd, req))) {
            CompletableFuture<AgentOutcome<Void>> blocked = open(hung, ResponseTimeout.BLOCK).ping();
            GuestAgent other = open(healthy, ResponseTimeout.ofSeconds(5));
            for (int i = 0; i < 20; i++) {
                assertEquals(new Success<Void>(null), other.ping().get(60, TimeUnit.SECONDS));
            }
            assertFalse(blocked.isDone(), "Block waits for as long as it takes");
            release.countDown();
        }
    }

    @Test
    void noWaitFailsAtOnceEvenOnAHealthyAgent() throws Exception {
        try (ScriptedAgent sa = ScriptedAgent.start((c, cmd, req) -> c.standard(cmd, req))) {
            long t0 = System.nanoTime();
            AgentOutcome<?> o = open(sa, ResponseTimeout.NO_WAIT).callAndWait(GuestCommands.ping());
            assertInstanceOf(NotResponding.class, o);
            assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0) < 3, "returned at once");
        }
    }

    @Test
    void blockedCommandsAreRefusedLocally() throws Exception {
        try (ScriptedAgent sa = ScriptedAgent.start((c, cmd, req) -> c.standard(cmd, req))) {
            GuestAgent agent = runtime.open(sa.socket(),
                    AgentOptions.defaults().withBlockedCommands(java.util.Set.of(GuestCommands.USERS)));
            CommandError<?> e = assertInstanceOf(CommandError.class, agent.users().get(60, TimeUnit.SECONDS));
            assertTrue(e.isBlocked(), e.message());
            assertEquals(List.of(), sa.received(), "nothing reached the agent");
        }
    }

    @Test
    void missingSocketIsNotConnected() {
        GuestAgent agent = runtime.open(Path.of("/tmp/agentvisor-no-such-socket-" + System.nanoTime()));
        NotConnected<?> nc = assertInstanceOf(NotConnected.class, agent.callAndWait(GuestCommands.ping()));
        assertTrue(nc.message().startsWith("guest agent is not connected: no guest agent socket at"), nc.message());
    }

    @Test
    void anAgentGoingAwayBetweenCallsIsNormal() throws Exception {
        try (ScriptedAgent sa = ScriptedAgent.start((c, cmd, req) -> {
            c.standard(cmd, req);
            if (cmd.equals("guest-ping")) {
                c.close(); // like qemu-ga exiting after a reply
            }
        })) {
            GuestAgent agent = open(sa, ResponseTimeout.ofSeconds(5));
            assertTrue(agent.callAndWait(GuestCommands.ping()).isSuccess());
            // the idle connection notices the agent's EOF by itself
            Await.until("the connection closed by the agent", Duration.ofSeconds(10), () -> !agent.isConnected());
            assertTrue(agent.callAndWait(GuestCommands.ping()).isSuccess());
            assertEquals(2, sa.connections());
        }
    }

    // ---- callAndWait on an idle, synchronised agent runs the call on its caller's thread -------------------

    @Test
    void whileACallerRunsItsOwnCallQueuedCallsKeepTheirDeadlinesAndRunAfterIt() throws Exception {
        try (ScriptedAgent sa = ScriptedAgent.start(slowFsInfo(3000))) {
            GuestAgent agent = open(sa, ResponseTimeout.ofSeconds(30));
            assertTrue(agent.callAndWait(GuestCommands.ping()).isSuccess()); // synchronised
            CompletableFuture<AgentOutcome<List<GuestFilesystem>>> slow =
                    CompletableFuture.supplyAsync(() -> agent.callAndWait(GuestCommands.fsInfo()));
            awaitReceived(sa, "guest-get-fsinfo");
            // its own 30 s: waits its turn, and a change of the VM's timeout does not re-time it
            CompletableFuture<AgentOutcome<String>> patient = agent.call(GuestCommands.hostName(),
                    ResponseTimeout.ofSeconds(30));
            agent.setResponseTimeout(ResponseTimeout.ofSeconds(1));
            NotResponding<?> nr = assertInstanceOf(NotResponding.class, agent.ping().get(60, TimeUnit.SECONDS));
            assertEquals(Phase.QUEUED, nr.phase(), "the loop timed the queued call out while the caller ran its own");
            assertFalse(slow.isDone());
            assertEquals(new Success<>(List.of()), slow.get(60, TimeUnit.SECONDS));
            assertEquals(new Success<>("scripted"), patient.get(60, TimeUnit.SECONDS), "the queue moved on after it");
            assertEquals(1, sa.connections());
        }
    }

    @Test
    void closingTheAgentReleasesACallerBlockedInItsOwnCall() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (ScriptedAgent sa = ScriptedAgent.start((c, cmd, req) -> {
            if (cmd.equals("guest-get-time")) {
                release.await();
            } else {
                c.standard(cmd, req);
            }
        })) {
            GuestAgent agent = open(sa, ResponseTimeout.BLOCK);
            assertTrue(agent.callAndWait(GuestCommands.ping()).isSuccess());
            CompletableFuture<AgentOutcome<java.time.Instant>> blocked =
                    CompletableFuture.supplyAsync(() -> agent.callAndWait(GuestCommands.time()));
            awaitReceived(sa, "guest-get-time");
            agent.close();
            assertInstanceOf(NotConnected.class, blocked.get(10, TimeUnit.SECONDS));
            release.countDown();
        }
    }

    @Test
    void strayBytesBetweenCallsMakeTheNextCallResynchronise() throws Exception {
        CountDownLatch strayed = new CountDownLatch(1);
        try (ScriptedAgent sa = ScriptedAgent.start((c, cmd, req) -> {
            c.standard(cmd, req);
            if (cmd.equals("guest-ping")) {
                c.send("{\"return\": {\"host-name\": \"STRAY\"}}\n"); // unsolicited: no call is waiting for it
                strayed.countDown();
            }
        })) {
            GuestAgent agent = open(sa, ResponseTimeout.ofSeconds(5));
            assertTrue(agent.callAndWait(GuestCommands.ping()).isSuccess());
            assertTrue(strayed.await(10, TimeUnit.SECONDS)); // in the client's socket before the next call starts
            assertEquals(new Success<>("scripted"), agent.callAndWait(GuestCommands.hostName()));
            assertEquals(List.of("guest-sync-delimited", "guest-ping", "guest-sync-delimited", "guest-get-host-name"),
                    sa.received());
        }
    }

    @Test
    void anAgentGoingAwayRightAfterACallersOwnCallIsReconnected() throws Exception {
        CountDownLatch gone = new CountDownLatch(1);
        try (ScriptedAgent sa = ScriptedAgent.start((c, cmd, req) -> {
            c.standard(cmd, req);
            if (cmd.equals("guest-get-host-name")) {
                c.close();
                gone.countDown();
            }
        })) {
            GuestAgent agent = open(sa, ResponseTimeout.ofSeconds(5));
            assertTrue(agent.callAndWait(GuestCommands.ping()).isSuccess());
            assertEquals(new Success<>("scripted"), agent.callAndWait(GuestCommands.hostName()));
            assertTrue(gone.await(10, TimeUnit.SECONDS)); // the agent's EOF is in the client's socket
            AgentOutcome<Void> o = agent.callAndWait(GuestCommands.ping());
            assertTrue(o.isSuccess(), "a new connection, not an EOF error: " + o.message());
            assertEquals(2, sa.connections());
        }
    }

    @Test
    void concurrentCallersEachGetTheirOwnReply() throws Exception {
        try (ScriptedAgent sa = ScriptedAgent.start((c, cmd, req) -> c.standard(cmd, req))) {
            GuestAgent agent = open(sa, ResponseTimeout.ofSeconds(30));
            List<CompletableFuture<Void>> callers = new java.util.ArrayList<>();
            for (int t = 0; t < 6; t++) {
                callers.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < 100; i++) {
                        assertEquals(new Success<Void>(null), agent.callAndWait(GuestCommands.ping()));
                        assertEquals(new Success<>("scripted"), agent.callAndWait(GuestCommands.hostName()));
                    }
                }, java.util.concurrent.Executors.newSingleThreadExecutor()));
            }
            for (int i = 0; i < 100; i++) {
                assertEquals(new Success<>("scripted"), agent.hostName().get(60, TimeUnit.SECONDS));
            }
            CompletableFuture.allOf(callers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            assertEquals(1, sa.connections());
            assertEquals(1, java.util.Collections.frequency(sa.received(), "guest-sync-delimited"), "never out of step");
        }
    }

    /** A healthy agent whose guest-get-fsinfo takes this long (an empty list). */
    private static ScriptedAgent.Script slowFsInfo(long millis) {
        return (c, cmd, req) -> {
            if (cmd.equals("guest-get-fsinfo")) {
                Thread.sleep(millis);
                c.send("{\"return\": []}\n");
            } else {
                c.standard(cmd, req);
            }
        };
    }

    private static void awaitReceived(ScriptedAgent sa, String command) {
        Await.until(command + " at the agent", Duration.ofSeconds(10), () -> sa.received().contains(command));
    }

    @Test
    void closingTheRuntimeCompletesPendingCalls() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (ScriptedAgent sa = ScriptedAgent.start((c, cmd, req) -> {
            if (cmd.equals("guest-ping")) {
                release.await();
            } else {
                c.standard(cmd, req);
            }
        })) {
            GuestAgent agent = open(sa, ResponseTimeout.BLOCK);
            CompletableFuture<AgentOutcome<Void>> first = agent.ping();
            CompletableFuture<AgentOutcome<Void>> second = agent.ping();
            runtime.close();
            assertInstanceOf(NotConnected.class, first.get(10, TimeUnit.SECONDS));
            assertInstanceOf(NotConnected.class, second.get(10, TimeUnit.SECONDS));
            release.countDown();
        }
    }

    @Test
    void rawCommandsPassArgumentsAndReturnTheReplyValue() throws Exception {
        try (ScriptedAgent sa = ScriptedAgent.start((c, cmd, req) -> {
            if (cmd.equals("guest-exec-status")) {
                c.send("{\"return\": {\"exited\": true, \"pid\": " + req.path("arguments").path("pid").asInt() + "}}\n");
            } else {
                c.standard(cmd, req);
            }
        })) {
            GuestAgent agent = open(sa, ResponseTimeout.ofSeconds(5));
            AgentOutcome<com.fasterxml.jackson.databind.JsonNode> o = agent.callAndWait(
                    GuestCommands.raw("{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":7}}"));
            assertEquals(7, o.value().path("pid").asInt());
            assertEquals(Map.of(), agent.commandTimeouts());
            assertEquals("ok", o.message());
        }
    }
}
