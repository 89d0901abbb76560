package io.agentvisor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SummaryTest {

    @Test
    void rendersTheRowsOfEveryResultsFileInOrderOfP(@TempDir Path dir) throws Exception {
        Report system = new Report("System", dir.resolve("system"));
        system.row("P3", "isolation", "1 s", "", "", "≤ 2 s", Report.verdict(true));
        system.row("P2", "precision", "3 ms", "libvirt: 30 ms", "0.1×", "≤ 50 ms", Report.verdict(false));
        system.write();
        Report agent = new Report("Agent", dir.resolve("agent"));
        agent.row("P1", "round trip", "30 µs", "raw socket: 28 µs", "1.07×", "≤ 1.3×", Report.MET);
        agent.write();

        Summary.Rendered r = Summary.render(List.of(dir.resolve("agent.json"), dir.resolve("system.json")));

        assertEquals(List.of(), r.failures());
        String md = r.markdown();
        assertTrue(md.indexOf("| P1 | round trip") < md.indexOf("| P2 | precision"), md);
        assertTrue(md.indexOf("| P2 | precision") < md.indexOf("| P3 | isolation"), md);
        assertTrue(md.contains("| 0.1× | ≤ 50 ms | NOT met |"), md);
        assertTrue(md.contains("- Agent: agent.md"), md);
    }

    @Test
    void aReferenceThatWasNotMeasuredOrAMissingResultFails(@TempDir Path dir) throws Exception {
        Report system = new Report("System", dir.resolve("system"));
        system.row("P2", "precision", "3 ms", "libvirt not measured", "", "≤ 50 ms", Report.FAILED);
        system.write();

        Summary.Rendered r = Summary.render(List.of(dir.resolve("system.json"), dir.resolve("agent.json")));

        assertEquals(2, r.failures().size(), r.failures().toString());
        assertTrue(r.failures().get(0).endsWith("agent.json: missing (the benchmark did not finish)"),
                r.failures().get(0));
        assertEquals("P2 precision: 3 ms / libvirt not measured", r.failures().get(1));
        assertTrue(Files.readString(dir.resolve("system.md")).contains("| failed |"));
        assertTrue(r.markdown().contains("## Failed"));
    }

    @Test
    void theCliResultsBecomeRowsAfterThePs(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("cli.json"), """
                {"date":"2026-11-29","runs":15,
                 "rows":[
                  {"verb":"status (list)","kind":"cluster","agentvisorWallMs":1642.0,"referenceWallMs":122.5,"ratio":13.4,"goalMet":false},
                  {"verb":"agent-command guest-ping","kind":"socket","agentvisorWallMs":579.0,"referenceWallMs":35.8,"ratio":16.2,"goalMet":null}
                 ]}
                """);
        Report node = new Report("Node", dir.resolve("node"));
        node.row("P7", "driver restart", "4.00 s", "", "", "seconds", "");
        node.write();

        Summary.Rendered r = Summary.render(List.of(dir.resolve("cli.json"), dir.resolve("node.json")));

        assertEquals(List.of(), r.failures());
        String md = r.markdown();
        assertTrue(md.indexOf("| P7 | driver restart") < md.indexOf("| CLI | agentvisor status (list)"), md);
        assertTrue(md.contains("| CLI | agentvisor status (list), median wall time | 1642 ms | kubectl: 123 ms | 13.4× | ≤ 5× kubectl | NOT met |"), md);
        assertTrue(md.contains("| raw socket (socat): 36 ms | 16.2× | ≤ 5× virsh (virsh not measured) |  |"), md);
    }

    @Test
    void cliRowsNameTheirModeAndReferenceAndAnUnmeasuredVirshFailsTheRun(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("cli.json"), """
                {"date":"2026-11-30","runs":15,
                 "rows":[
                  {"verb":"status (list)","mode":"warm daemon","kind":"cluster","reference":"kubectl get vm -o wide",
                   "agentvisorWallMs":95.0,"referenceWallMs":60.0,"ratio":1.6,"goal":"≤ 5× kubectl","goalMet":true,"failed":null},
                  {"verb":"agent-command --socket guest-ping","mode":"fresh JVM (AGENTVISOR_CLI_DAEMON=off)","kind":"socket",
                   "reference":"virsh qemu-agent-command DOM guest-ping","agentvisorWallMs":300.0,"referenceWallMs":null,
                   "ratio":null,"goal":"≤ 5× virsh","goalMet":null,"failed":"reference not measured: virsh create failed (exit 1)"},
                  {"verb":"guestinfo --socket","mode":"warm daemon","kind":"floor","reference":"socat raw floor",
                   "agentvisorWallMs":40.0,"referenceWallMs":20.0,"ratio":2.0,"goal":"","goalMet":null,"failed":null}
                 ]}
                """);

        Summary.Rendered r = Summary.render(List.of(dir.resolve("cli.json")));

        String md = r.markdown();
        assertTrue(md.contains("| CLI | agentvisor status (list), warm daemon, median wall time | 95 ms | kubectl get vm -o wide: 60 ms | 1.6× | ≤ 5× kubectl | met |"), md);
        assertTrue(md.contains("| CLI | agentvisor guestinfo --socket, warm daemon, median wall time | 40 ms | socat raw floor: 20 ms | 2.0× |  |  |"), md);
        assertEquals(1, r.failures().size(), r.failures().toString());
        assertEquals("CLI agentvisor agent-command --socket guest-ping, fresh JVM (AGENTVISOR_CLI_DAEMON=off), median wall"
                + " time [reference not measured: virsh create failed (exit 1)]: 300 ms / virsh qemu-agent-command DOM"
                + " guest-ping: not measured", r.failures().get(0));
    }
}
